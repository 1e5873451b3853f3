//! Terraform's single-dash spellings through the real binary against an emulator over loopback:
//! `-var`, `-var=NAME=VALUE`, `-var-file`, `-out`, `-detailed-exitcode`, `-json`, `-auto-approve`,
//! `-lock=false`, `apply -destroy` (as `destroy`), and that a flag a command does not have, or a
//! value that starts with a dash, is not rewritten.

use crate::support::cli_env::{CliEnv, group, instance, world};

const BASE: &str = "sg-bp1dashbase0001";
const WEB: &str = "sg-bp1dashweb00001";
const OPS: &str = "sg-bp1dashops00001";
const A: &str = "i-bp1dasha00000001";
const B: &str = "i-bp1dashb00000001";

/// A and B join the group `var.group` (WEB by default).
fn config() -> String {
    format!(
        r#"variable "group" {{
  type    = string
  default = "{WEB}"
}}

membership "a" {{
  security_group_id = var.group
  instance_id       = "{A}"
}}

membership "b" {{
  security_group_id = var.group
  instance_id       = "{B}"
}}
"#
    )
}

async fn start() -> CliEnv {
    let world = world(
        vec![group(BASE), group(WEB), group(OPS)],
        vec![instance(A, &[BASE]), instance(B, &[BASE])],
        vec![],
    );
    CliEnv::start(world, &config()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_takes_single_dash_var_var_file_out_and_detailed_exitcode() {
    let env = start().await;
    let double = env.run(&["plan", "--var", &format!("group={OPS}")]).await;
    assert_eq!(double.code, Some(0), "{double}");
    assert!(double.stdout.contains(OPS), "{double}");
    for spelling in [
        vec!["plan".to_owned(), format!("-var=group={OPS}")],
        vec!["plan".to_owned(), "-var".to_owned(), format!("group={OPS}")],
    ] {
        let args: Vec<&str> = spelling.iter().map(String::as_str).collect();
        let single = env.run(&args).await;
        assert_eq!(single.code, Some(0), "{args:?}: {single}");
        assert_eq!(single.stdout, double.stdout, "{args:?}");
    }

    std::fs::write(env.path("ops.tfvars"), format!("group = \"{OPS}\"\n")).unwrap();
    let saved = env
        .run(&[
            "plan",
            "-var-file",
            "ops.tfvars",
            "-out",
            "ops.plan",
            "-detailed-exitcode",
        ])
        .await;
    assert_eq!(saved.code, Some(2), "changes present: {saved}");
    assert_eq!(saved.stdout, double.stdout);
    assert!(env.path("ops.plan").is_file(), "{saved}");
    let shown = env.run(&["show", "ops.plan"]).await;
    assert!(shown.stdout.contains(OPS), "{shown}");
    assert_eq!(env.mutations().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_the_same_in_either_spelling() {
    let env = start().await;
    let double = env.run(&["plan", "--json"]).await;
    let single = env.run(&["plan", "-json"]).await;
    assert_eq!(double.code, Some(0), "{double}");
    assert_eq!(single.code, Some(0), "{single}");
    assert_eq!(single.stdout, double.stdout);
    let value: serde_json::Value = serde_json::from_str(&single.stdout).unwrap();
    assert!(value["resource_changes"].is_array(), "{single}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_takes_auto_approve_and_lock_false_and_apply_destroy_is_destroy() {
    let env = start().await;
    // Another process holds the state lock: only `-lock=false` goes ahead.
    let holder = hold_lock(&env);
    let locked = env.run(&["apply", "-auto-approve"]).await;
    assert_eq!(locked.code, Some(1), "the lock is held: {locked}");
    assert!(locked.stderr.contains("lock"), "{locked}");
    assert_eq!(env.mutations().await, 0);
    let applied = env.run(&["apply", "-auto-approve", "-lock=false"]).await;
    drop(holder);
    assert_eq!(applied.code, Some(0), "{applied}");
    assert_eq!(env.groups_of(A).await, [BASE, WEB]);
    assert_eq!(env.state().memberships.len(), 2);

    // The same prompt as `destroy` (answered no: nothing changes).
    let asked = env.run_on_a_terminal(&["apply", "-destroy"], "no\n").await;
    let asked_destroy = env.run_on_a_terminal(&["destroy"], "no\n").await;
    assert_eq!(asked.code, Some(1), "{asked}");
    assert!(
        asked
            .stdout
            .contains("Do you really want to destroy all managed memberships?"),
        "{asked}"
    );
    assert_eq!(comparable(&asked.stdout), comparable(&asked_destroy.stdout));
    assert_eq!(env.groups_of(A).await, [BASE, WEB]);

    let destroyed = env.run(&["apply", "-destroy", "-auto-approve"]).await;
    assert_eq!(destroyed.code, Some(0), "{destroyed}");
    assert_eq!(env.groups_of(A).await, [BASE]);
    assert_eq!(env.groups_of(B).await, [BASE]);
    assert!(env.state().memberships.is_empty());

    // What `destroy` leaves, from the same start, and the same output.
    let other = start().await;
    let applied = other.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, Some(0), "{applied}");
    let by_destroy = other.run(&["destroy", "--auto-approve"]).await;
    assert_eq!(by_destroy.code, Some(0), "{by_destroy}");
    assert_eq!(other.groups_of(A).await, env.groups_of(A).await);
    assert_eq!(other.groups_of(B).await, env.groups_of(B).await);
    assert_eq!(
        other.state().memberships.len(),
        env.state().memberships.len()
    );
    assert_eq!(
        comparable(&by_destroy.stdout),
        comparable(&destroyed.stdout)
    );
    assert!(
        destroyed
            .stdout
            .contains("Destroy complete! 2 left, 0 forgotten"),
        "{destroyed}"
    );
}

/// A child `sgform state hold-lock` holding the state lock of `env`'s directory until dropped
/// (its stdin closes, it releases the lock and exits).
struct Holder(std::process::Child);

impl Drop for Holder {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

fn hold_lock(env: &CliEnv) -> Holder {
    use std::io::BufRead as _;
    use std::process::Stdio;
    let mut child = crate::support::sgform()
        .args(["state", "hold-lock"])
        .current_dir(env.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("\"id\""), "hold-lock printed {line:?}");
    Holder(child)
}

/// An apply's output without what differs between runs: the per-operation lines (finished in
/// any order, with their times) and the summary's time.
fn comparable(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|line| !line.starts_with("membership."))
        .map(|line| line.split(" in ").next().unwrap_or(line))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_destroy_refuses_refresh_only_and_a_plan_file() {
    let env = start().await;
    let both = env
        .run(&["apply", "-destroy", "-refresh-only", "-auto-approve"])
        .await;
    assert_eq!(both.code, Some(1), "{both}");
    assert!(both.stderr.contains("cannot be used with"), "{both}");
    let saved = env.run(&["plan", "-out=p.plan"]).await;
    assert_eq!(saved.code, Some(0), "{saved}");
    let with_file = env.run(&["apply", "-destroy", "p.plan"]).await;
    assert_eq!(with_file.code, Some(1), "{with_file}");
    assert!(with_file.stderr.contains("saved plan file"), "{with_file}");
    assert_eq!(env.mutations().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_a_command_lacks_and_values_with_a_dash_are_not_rewritten() {
    let env = start().await;
    let out = env.run(&["validate", "-out", "x"]).await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("unexpected argument '-o'"), "{out}");

    // `-target=-json`: `-json` is the address, not a flag.
    let target = env.run(&["plan", "-target=-json"]).await;
    assert_eq!(target.code, Some(1), "{target}");
    assert!(
        target.stderr.contains("invalid `--target -json`"),
        "{target}"
    );
    // `-var -x=1`: `-x=1` stays as written, and clap refuses a value that starts with a dash.
    let var = env.run(&["plan", "-var", "-x=1"]).await;
    assert_eq!(var.code, Some(1), "{var}");
    assert!(var.stderr.contains("unexpected argument '-x'"), "{var}");
    // Short flags are clap's: `-h` is help.
    let help = env.run(&["plan", "-h"]).await;
    assert_eq!(help.code, Some(0), "{help}");
    assert!(help.stdout.contains("--detailed-exitcode"), "{help}");
    assert!(!help.stdout.contains(" -detailed-exitcode"), "{help}");
}
