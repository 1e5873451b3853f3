use std::path::PathBuf;

use super::*;
use crate::config::{Inputs, VarSource};
use crate::ids::Address;
use crate::plan::planfile::ConfigDigest;

#[test]
fn digest_covers_the_configuration_files_by_name_and_not_variable_files() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("network");
    std::fs::create_dir(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("main.hcl"),
        "variable \"token\" {\n  sensitive = true\n}\n",
    )
    .unwrap();
    let inputs = Inputs {
        sources: vec![VarSource::File {
            path: PathBuf::from("/elsewhere/secret.hcl"),
            text: "token = \"hunter2\"\n".to_owned(),
        }],
        ..Inputs::default()
    };
    let (config, diags) = config::load(&config_dir, &inputs).unwrap();
    assert!(!diag::has_errors(&diags), "{diags:?}");
    let digest = config_digest(&config);
    assert_eq!(
        digest.files.keys().collect::<Vec<_>>(),
        ["main.hcl"],
        "{digest:?}"
    );
    // The same file digested from another working directory gives the same digest.
    let again = ConfigDigest::of([("main.hcl", "variable \"token\" {\n  sensitive = true\n}\n")]);
    assert_eq!(digest, again);
}

#[test]
fn plan_file_leaves_sensitive_variables_out() {
    let config_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        config_dir.path().join("main.hcl"),
        "variable \"token\" {\n  sensitive = true\n  default = \"hunter2\"\n}\nvariable \"env\" {\n  default = \"prod\"\n}\n",
    )
    .unwrap();
    let (config, diags) = config::load(config_dir.path(), &Inputs::default()).unwrap();
    assert!(!diag::has_errors(&diags), "{diags:?}");
    let planned = Planned {
        config,
        state: State::empty(),
        plan: Plan::default(),
        diagnostics: Vec::new(),
        recorded: Recorded::default(),
    };
    let bytes = plan_file(&planned, &config_dir.path().join("p.plan"))
        .unwrap()
        .to_bytes();
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("token"), "{text}");
    assert!(text.contains(r#""env":"\"prod\"""#), "{text}");
}

#[test]
fn a_target_that_selects_nothing_is_an_error_and_targeting_a_warning() {
    let mut plan = Plan::default();
    plan.resource_changes.push(crate::plan::ResourceChange {
        address: Address::parse(r#"membership.web["i-bp1web0000000001"]"#).unwrap(),
        provider: None,
        before: Default::default(),
        after: Default::default(),
        join: Default::default(),
        leave: Default::default(),
        adopt: Default::default(),
        replace: Default::default(),
        removed_from_config: false,
        sensitive: Default::default(),
    });
    let targets = [
        "membership.web",
        r#"membership.web["i-bp1web0000000001"]"#,
        r#"membership.web["i-bp1web0000000002"]"#,
        "membership.wbe",
    ]
    .map(|t| Address::parse(t).unwrap())
    .to_vec();
    let options = PlanOptions {
        targets,
        ..PlanOptions::default()
    };
    // In the planner's result, so whatever reads a plan (a saved one too) sees them.
    let found = crate::plan::check(&plan, &options);
    let summaries: Vec<(&str, bool)> = found
        .iter()
        .map(|d| (d.summary.as_str(), d.is_error()))
        .collect();
    assert_eq!(
        summaries,
        [
            (
                r#"`--target membership.web["i-bp1web0000000002"]` matches nothing in the configuration or the state"#,
                true
            ),
            (
                "`--target membership.wbe` matches nothing in the configuration or the state",
                true
            ),
            ("targeting is in effect: this plan may be incomplete", false),
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_saved_plan_is_written_whole_and_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hcl"), "").unwrap();
    let (config, _) = config::load(dir.path(), &Inputs::default()).unwrap();
    let planned = Planned {
        config,
        state: State::empty(),
        plan: Plan::default(),
        diagnostics: Vec::new(),
        recorded: Recorded::default(),
    };
    let out = dir.path().join("plan.out");
    std::fs::write(
        &out,
        r#"{"format":"sgform-plan","version":1,"an older plan":"readable by all"}"#,
    )
    .unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    save(&planned, &out).unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        plan_file(&planned, &out).unwrap().to_bytes()
    );
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
