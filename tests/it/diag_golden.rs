//! Golden diagnostics: `testdata/diag/<case>/config/*.hcl` is validated and the rendered
//! diagnostics (no colour) must equal `testdata/diag/<case>/stderr.txt`. An optional
//! `testdata/diag/<case>/vars` holds `--var` values, one `name=value` per line.
//!
//! `SGFORM_UPDATE_GOLDEN=1 cargo test diag_golden` rewrites the goldens; review the diff.

use std::path::{Path, PathBuf};

use sgform::cli::printer::render_diagnostics;
use sgform::config::{self, Inputs};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[allow(clippy::disallowed_methods)] // tests read their own switch, not sgform's environment
pub(crate) fn update_golden() -> bool {
    std::env::var_os("SGFORM_UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// Compares `actual` with the golden file, or rewrites it under `SGFORM_UPDATE_GOLDEN=1`.
#[track_caller]
pub(crate) fn assert_golden(path: &Path, actual: &str) {
    if update_golden() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        panic!(
            "{} differs (SGFORM_UPDATE_GOLDEN=1 rewrites it):\n{diff}",
            path.display()
        );
    }
}

fn check(case: &str) {
    // Relative paths, so the goldens are the same on every machine (tests run in the crate root).
    let rel = Path::new("testdata/diag").join(case);
    let abs = root().join(&rel);
    assert!(
        abs.join("config").is_dir(),
        "missing {}/config",
        rel.display()
    );
    let mut inputs = Inputs {
        validate_only: true,
        ..Inputs::default()
    };
    if let Ok(vars) = std::fs::read_to_string(abs.join("vars")) {
        for line in vars.lines().filter(|l| !l.trim().is_empty()) {
            inputs.sources.push(Inputs::parse_var(line).unwrap());
        }
    }
    let files: Vec<(PathBuf, String)> = {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(abs.join("config"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (rel.join("config").join(p.file_name().unwrap()), text)
            })
            .collect()
    };
    let (config, diags) = config::load_sources(files, &inputs);
    let rendered = render_diagnostics(&diags, config.sources(), false);
    assert_golden(&abs.join("stderr.txt"), &rendered);
}

macro_rules! diag_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            check(stringify!($name));
        }
    };
}

diag_case!(valid_every_block);
diag_case!(syntax_error);
diag_case!(unknown_block);
diag_case!(unknown_attribute);
diag_case!(unexpected_nested_block);
diag_case!(wrong_type);
diag_case!(missing_required_attribute);
diag_case!(wrong_label_count);
diag_case!(both_targets);
diag_case!(no_target);
diag_case!(malformed_ids);
diag_case!(duplicate_address);
diag_case!(duplicate_pair);
diag_case!(unknown_reference);
diag_case!(unknown_function);
diag_case!(each_without_for_each);
diag_case!(for_each_list);
diag_case!(local_cycle);
diag_case!(depends_on_cycle);
diag_case!(membership_excluded_by_set);
diag_case!(membership_excluded_by_group_members);
diag_case!(two_sets_one_target);
diag_case!(two_group_members_one_group);
diag_case!(set_and_group_members_disagree);
diag_case!(set_too_many_groups);
diag_case!(set_without_groups);
diag_case!(unknown_provider_alias);
diag_case!(sensitive_value_redacted);
diag_case!(for_each_sensitive);
diag_case!(many_problems_sorted);
diag_case!(data_source_problems);
diag_case!(variable_problems);
diag_case!(backend_problems);
diag_case!(backend_unknown_type);

/// Every directory under `testdata/diag/` has its `diag_case!` line, so no case is forgotten.
#[test]
fn every_diag_dir_has_a_case() {
    let source = std::fs::read_to_string(root().join("tests/it/diag_golden.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root().join("testdata/diag")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !source.contains(&format!("diag_case!({name});")) {
            missing.push(name);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "add `diag_case!(NAME);` for: {missing:?}"
    );
}
