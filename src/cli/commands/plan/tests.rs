use std::path::PathBuf;

use super::*;
use crate::cli::args::TargetArgs;
use crate::config::{Inputs, VarSource};

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
fn detailed_exit_code_is_two_only_for_changes() {
    let empty = Plan::default();
    assert_eq!(exit_code(&empty, true), ExitCode::SUCCESS);
    let mut adopt = Plan::default();
    adopt.adopt.push(crate::state::ManagedMembership {
        address: Address::parse("membership.web").unwrap(),
        provider: None,
        region: crate::ids::RegionId::parse("cn-hangzhou").unwrap(),
        security_group_id: crate::ids::SecurityGroupId::parse("sg-bp1base000000001").unwrap(),
        target: crate::ids::Target::parse("i-bp1web0000000001").unwrap(),
    });
    assert_eq!(exit_code(&adopt, true), ExitCode::from(2));
    assert_eq!(exit_code(&adopt, false), ExitCode::SUCCESS);
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
        diags: Vec::new(),
    };
    let bytes = plan_file(&planned).to_bytes();
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("token"), "{text}");
    assert!(text.contains(r#""env":"\"prod\"""#), "{text}");
}

#[test]
fn a_target_that_selects_nothing_is_a_warning() {
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
    let targets = TargetArgs {
        targets: vec![
            "membership.web".to_owned(),
            r#"membership.web["i-bp1web0000000001"]"#.to_owned(),
            r#"membership.web["i-bp1web0000000002"]"#.to_owned(),
            "membership.wbe".to_owned(),
        ],
    }
    .addresses()
    .unwrap();
    let warnings = unmatched_targets(&targets, &plan);
    let summaries: Vec<&str> = warnings.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            r#"`--target membership.web["i-bp1web0000000002"]` selects nothing in the configuration or the state"#,
            "`--target membership.wbe` selects nothing in the configuration or the state",
        ]
    );
    assert!(warnings.iter().all(|d| !d.is_error()), "{warnings:?}");
}

#[test]
fn json_is_short_for_format_json_and_conflicts_with_another_format() {
    let args = |json: bool, format: Option<Format>| FormatArgs { format, json };
    assert_eq!(args(false, None).format(), Ok(Format::Text));
    assert_eq!(args(true, None).format(), Ok(Format::Json));
    assert_eq!(args(true, Some(Format::Json)).format(), Ok(Format::Json));
    assert_eq!(
        args(false, Some(Format::Markdown)).format(),
        Ok(Format::Markdown)
    );
    for other in [Format::Text, Format::Markdown] {
        let err = args(true, Some(other)).format().unwrap_err();
        let name = clap::ValueEnum::to_possible_value(&other).unwrap();
        assert!(
            err.contains(&format!("conflicts with `--format {}`", name.get_name())),
            "{err}"
        );
    }
}
