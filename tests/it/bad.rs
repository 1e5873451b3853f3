//! The bad-input suite: `testdata/bad/<case>/` is one wrong input and what sgform must say
//! about it, each case its own `#[test]` (`cargo test --test it bad::CASE` runs one).
//!
//! A case directory holds:
//! - `args`: the command line after `sgform`, one argument per line (no shell quoting, so a line
//!   may hold spaces; an empty line is an empty argument; a final newline is ignored);
//! - optionally `env`: `NAME=VALUE` lines added to the hermetic environment, where `$CASE` stands
//!   for the case's temporary copy;
//! - `expected.txt`: the first line `exit N` (the exit code), then **the whole stderr**, verbatim
//!   except that the temporary copy's path reads `$CASE`;
//! - optionally `fixture`: the name of a directory under `testdata/` (`cli_fixture`, a
//!   configuration with its sandbox world; `var_fixture`; `cred_fixture`) copied in first, so
//!   cases that differ only in their arguments or one file share one configuration;
//! - every other file is an input: configuration (`*.hcl`), var files, state, plan and world
//!   files, and `home/` for the fake `HOME` (e.g. `home/.aliyun/config.json`).
//!
//! The case directory is copied to a temporary directory, the real binary runs there
//! (`crate::support::sgform`: nothing inherited, `HOME` is the copy's `home/`), and its exit code
//! and stderr must equal `expected.txt`. The sandbox's banner line (`using local sandbox …`) is
//! left out of the comparison: where the sandbox lives is not what these cases check.
//!
//! To add a case: make the directory with `args` and the inputs, run
//! `SGFORM_UPDATE_GOLDEN=1 cargo test --test it bad::NAME` (after adding `bad_case!(NAME);`
//! below), read `expected.txt`: the message must name the file, address or value at fault and
//! what to do. `every_bad_dir_has_a_case` fails for a directory without its line.

use std::path::{Path, PathBuf};

use crate::diag_golden::assert_golden;
use crate::support::sgform;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn check(case: &str) {
    let dir = root().join("testdata/bad").join(case);
    let args_text = std::fs::read_to_string(dir.join("args"))
        .unwrap_or_else(|e| panic!("{}/args: {e}", dir.display()));
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("case");
    if let Ok(fixture) = std::fs::read_to_string(dir.join("fixture")) {
        copy_dir(&root().join("testdata").join(fixture.trim()), &work);
    }
    copy_dir(&dir, &work);
    let _ = std::fs::remove_file(work.join("fixture"));
    let work_str = work.to_str().unwrap().to_owned();

    let args: Vec<&str> = args_text
        .strip_suffix('\n')
        .unwrap_or(&args_text)
        .split('\n')
        .collect();
    let mut cmd = sgform();
    cmd.current_dir(&work)
        .args(&args)
        .env("HOME", work.join("home"));
    if let Ok(env) = std::fs::read_to_string(dir.join("env")) {
        for line in env.lines().filter(|l| !l.trim().is_empty()) {
            let (name, value) = line.split_once('=').expect("env lines are NAME=VALUE");
            cmd.env(name, value.replace("$CASE", &work_str));
        }
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&work_str, "$CASE");
    let stderr: String = stderr
        .split_inclusive('\n')
        // Where the sandbox lives, and how long a refresh took, are not what these cases check.
        .filter(|l| !l.starts_with("using local sandbox") && !l.starts_with("Refreshed "))
        .collect();
    let code = out
        .status
        .code()
        .map_or_else(|| "signal".to_owned(), |c| c.to_string());
    assert_golden(&dir.join("expected.txt"), &format!("exit {code}\n{stderr}"));
}

macro_rules! bad_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            check(stringify!($name));
        }
    };
}

// CASES
bad_case!(arith_div_zero);
bad_case!(arith_huge_literal);
bad_case!(arith_min_int_div_minus_one);
bad_case!(arith_mod_zero);
bad_case!(arith_mod_zero_from_var);
bad_case!(arith_mod_zero_in_for_each);
bad_case!(arith_negate_min_int);
bad_case!(arith_overflow);
bad_case!(arith_string_plus_number);
bad_case!(cli_apply_target_with_planfile);
bad_case!(cli_bad_format);
bad_case!(cli_bad_lock_timeout);
bad_case!(cli_bad_lock_timeout_unit);
bad_case!(cli_bad_lock_value);
bad_case!(cli_bad_target);
bad_case!(cli_destroy_target_matches_nothing);
bad_case!(cli_bad_target_key);
bad_case!(cli_completions_bad_shell);
bad_case!(cli_detailed_exitcode_on_apply);
bad_case!(cli_fmt_check_unformatted);
bad_case!(cli_force_unlock_no_id);
bad_case!(cli_force_unlock_no_lock);
bad_case!(cli_generate_missing_dir);
bad_case!(cli_graph_missing_dir);
bad_case!(cli_import_bad_address);
bad_case!(cli_import_malformed_pair);
bad_case!(cli_json_and_format);
bad_case!(cli_missing_flag_value);
bad_case!(cli_parallelism_negative);
bad_case!(cli_parallelism_zero);
bad_case!(cli_rate_limit_text);
bad_case!(cli_refresh_only_and_destroy);
bad_case!(cli_show_no_argument);
bad_case!(cli_state_list_missing_state_file);
bad_case!(cli_state_rm_no_address);
bad_case!(cli_state_rm_not_in_state);
bad_case!(cli_state_show_not_in_state);
bad_case!(cli_target_matches_nothing);
bad_case!(cli_target_matches_nothing_far);
bad_case!(cli_target_unknown_kind);
bad_case!(cli_two_dirs);
bad_case!(cli_unknown_command);
bad_case!(cli_unknown_flag);
bad_case!(cli_var_file_no_value);
bad_case!(cred_empty_env);
bad_case!(cred_missing);
bad_case!(cred_only_key_id);
bad_case!(cred_profile_empty_secret);
bad_case!(cred_profile_not_json);
bad_case!(cred_profile_unknown);
bad_case!(cred_profile_unsupported_mode);
bad_case!(dir_empty_validate);
bad_case!(dir_fmt_missing);
bad_case!(dir_is_file);
bad_case!(dir_missing);
bad_case!(dir_missing_plan);
bad_case!(dir_no_hcl);
bad_case!(dir_no_hcl_apply_asks_first);
bad_case!(dir_renamed_hcl);
bad_case!(hcl_attribute_twice);
bad_case!(hcl_bad_utf8);
bad_case!(hcl_both_target_kinds);
bad_case!(hcl_count_attribute);
bad_case!(hcl_duplicate_local_across_files);
bad_case!(hcl_duplicate_membership_name);
bad_case!(hcl_duplicate_variable);
bad_case!(hcl_extra_closing_brace);
bad_case!(hcl_for_each_number);
bad_case!(hcl_for_each_string);
bad_case!(hcl_group_members_no_group);
bad_case!(hcl_heredoc_unterminated);
bad_case!(hcl_instance_id_is_eni);
bad_case!(hcl_label_missing_open_quote);
bad_case!(hcl_malformed_group_id);
bad_case!(hcl_membership_set_empty_list);
bad_case!(hcl_missing_equals);
bad_case!(hcl_missing_label);
bad_case!(hcl_number_for_id);
bad_case!(hcl_only_assignments);
bad_case!(hcl_provider_without_region);
bad_case!(hcl_template_unclosed);
bad_case!(hcl_terraform_block);
bad_case!(hcl_two_default_providers);
bad_case!(hcl_unclosed_brace);
bad_case!(hcl_unclosed_bracket);
bad_case!(hcl_unknown_attribute);
bad_case!(hcl_unknown_block);
bad_case!(hcl_unknown_data_kind);
bad_case!(hcl_unknown_provider_alias);
bad_case!(hcl_unknown_provider_name);
bad_case!(hcl_unterminated_string);
bad_case!(hcl_unterminated_string_midfile);
bad_case!(planfile_config_changed);
bad_case!(planfile_edited_operation);
bad_case!(planfile_missing);
bad_case!(planfile_newer_version);
bad_case!(planfile_old_version);
bad_case!(planfile_other_cloud);
bad_case!(planfile_other_region);
bad_case!(planfile_other_state);
bad_case!(planfile_out_over_config);
bad_case!(planfile_show_not_json);
bad_case!(planfile_show_state_file);
bad_case!(planfile_truncated);
bad_case!(planfile_wrong_format);
bad_case!(ref_conditional_not_bool);
bad_case!(ref_depends_on_cycle);
bad_case!(ref_depends_on_unknown);
bad_case!(ref_each_outside_for_each);
bad_case!(ref_function_arity);
bad_case!(ref_index_out_of_range);
bad_case!(ref_local_self_cycle);
bad_case!(ref_local_three_cycle);
bad_case!(ref_map_missing_key);
bad_case!(ref_unknown_data_source);
bad_case!(ref_unknown_function);
bad_case!(ref_unknown_local);
bad_case!(ref_unknown_variable);
bad_case!(region_missing_api);
bad_case!(region_missing_no_provider_block);
bad_case!(region_missing_provider_block);
bad_case!(state_array);
bad_case!(state_bad_lineage);
bad_case!(state_data_address);
bad_case!(state_duplicate_entry);
bad_case!(state_empty_file);
bad_case!(state_group_id_is_instance);
bad_case!(state_is_directory);
bad_case!(state_malformed_address);
bad_case!(state_missing_lineage);
bad_case!(state_negative_serial);
bad_case!(state_not_json);
bad_case!(state_same_pair_two_addresses);
bad_case!(state_serial_max);
bad_case!(state_target_not_a_target);
bad_case!(state_unknown_field);
bad_case!(state_version_0);
bad_case!(state_version_99);
bad_case!(var_default_wrong_type);
bad_case!(var_empty_name);
bad_case!(var_env_unknown);
bad_case!(var_env_wrong_type);
bad_case!(var_huge_integer);
bad_case!(var_list_malformed);
bad_case!(var_no_equals);
bad_case!(var_number_not_number);
bad_case!(var_required_missing);
bad_case!(var_sensitive_wrong_type);
bad_case!(var_unknown_name);
bad_case!(var_unknown_type);
bad_case!(var_validation_block_unsupported);
bad_case!(varfile_auto_json);
bad_case!(varfile_auto_wrong_type);
bad_case!(varfile_block);
bad_case!(varfile_duplicate_key);
bad_case!(varfile_is_directory);
bad_case!(varfile_json_not_hcl);
bad_case!(varfile_missing);
bad_case!(varfile_reference);
bad_case!(varfile_sensitive_snippet);
bad_case!(varfile_sensitive_wrong_type);
bad_case!(varfile_sensitive_syntax_error);
bad_case!(varfile_syntax);
bad_case!(varfile_unknown_variable);
bad_case!(varfile_wrong_type);
bad_case!(world_bad_group_id);
bad_case!(world_bad_status);
bad_case!(world_duplicate_group);
bad_case!(world_group_in_unknown_vpc);
bad_case!(world_instance_id_is_group);
bad_case!(world_instance_in_unknown_group);
bad_case!(world_missing);
bad_case!(world_not_json);
bad_case!(world_unknown_field);

/// Every directory under `testdata/bad/` has its `bad_case!` line, so no case is forgotten.
#[test]
fn every_bad_dir_has_a_case() {
    let source = std::fs::read_to_string(root().join("tests/it/bad.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root().join("testdata/bad")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !source.contains(&format!("bad_case!({name});")) {
            missing.push(name);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "add `bad_case!(NAME);` for: {missing:?}"
    );
}
