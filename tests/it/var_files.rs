//! Variables files as Terraform users keep them, through the binary: `sgform.tfvars` and
//! `*.auto.tfvars` in the configuration directory apply without a flag, with Terraform's
//! precedence (environment < `sgform.tfvars` < `*.auto.tfvars` by name < `--var-file` and
//! `--var` in command-line order), and a saved plan holds to the values they gave.

use std::path::Path;

use crate::support::sgform;

const MAIN: &str = r#"
provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}

variable "group" {
  type = string
}

membership "db" {
  security_group_id = var.group
  instance_id       = "i-bp1db00example01"
}
"#;

const WEB: &str = "sg-bp1webexample01";
const APP: &str = "sg-bp1appexample01";
const OPS: &str = "sg-bp1opsexample01";
const ALL: [&str; 3] = [WEB, APP, OPS];

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hcl"), MAIN).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cli_fixture/world.json"),
        dir.path().join("world.json"),
    )
    .unwrap();
    dir
}

fn set(dir: &Path, file: &str, group: &str) {
    std::fs::write(dir.join(file), format!("group = \"{group}\"\n")).unwrap();
}

/// Plans in `dir` with `args` (and `SGFORM_VAR_group=WEB`); the one group the plan joins.
fn joined(dir: &Path, args: &[&str]) -> &'static str {
    let out = sgform()
        .current_dir(dir)
        .arg("plan")
        .args(args)
        .env("SGFORM_VAR_group", WEB)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let found: Vec<&str> = ALL
        .into_iter()
        .filter(|g| stdout.contains(&format!("to {g}")))
        .collect();
    assert_eq!(found.len(), 1, "{stdout}");
    found[0]
}

#[test]
fn auto_loaded_files_sit_between_the_environment_and_the_command_line() {
    let dir = project();
    let d = dir.path();
    assert_eq!(joined(d, &[]), WEB, "the environment alone");
    set(d, "sgform.tfvars", APP);
    assert_eq!(joined(d, &[]), APP, "sgform.tfvars over the environment");
    set(d, "b.auto.tfvars", OPS);
    set(d, "a.auto.tfvars", WEB);
    assert_eq!(
        joined(d, &[]),
        OPS,
        "*.auto.tfvars over sgform.tfvars, by name"
    );
    set(d, "given.tfvars", APP);
    assert_eq!(joined(d, &["-var-file", "given.tfvars"]), APP);
    assert_eq!(
        joined(
            d,
            &[
                "--var",
                &format!("group={WEB}"),
                "--var-file",
                "given.tfvars"
            ]
        ),
        APP,
        "command-line order: the later --var-file wins"
    );
    assert_eq!(
        joined(
            d,
            &["--var-file", "given.tfvars", &format!("-var=group={WEB}")]
        ),
        WEB,
        "command-line order: the later --var wins"
    );
    // A file that only looks like one is not read.
    set(d, "z.auto.tfvars.bak", WEB);
    assert_eq!(joined(d, &[]), OPS);
}

#[test]
fn a_saved_plan_holds_to_the_auto_loaded_values() {
    let dir = project();
    let d = dir.path();
    set(d, "prod.auto.tfvars", OPS);
    let plan = |args: &[&str]| sgform().current_dir(d).args(args).output().unwrap();

    // Edited after the plan: apply refuses, as for a --var-file given another value.
    let out = plan(&["plan", ".", "--out", "p.plan"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    set(d, "prod.auto.tfvars", WEB);
    let out = plan(&["apply", "p.plan"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("variable `group` has another value than when the plan was made"),
        "{stderr}"
    );

    // Unchanged: apply carries out the plan made with the file's value.
    set(d, "prod.auto.tfvars", OPS);
    let out = plan(&["apply", "p.plan"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("Joining {OPS}")), "{stdout}");
    let out = plan(&["plan", ".", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "converged: {out:?}");
}
