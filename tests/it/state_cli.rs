//! `sgform state list|show|rm` and `sgform force-unlock` through the real binary, and the state
//! lock held by another process (`sgform state hold-lock`, hidden): a second run fails at once
//! naming the holder, waits with `--lock-timeout`, and proceeds at once after a SIGKILL.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::sgform;

const LINEAGE: &str = "8d0c6b0e-1f7a-4c55-9d2e-3a4b5c6d7e8f";

/// A state with three entries: two instances of `membership.web` and one `group_members.db`.
fn state_json() -> String {
    let entry = |address: &str, sg: &str, target: &str| {
        serde_json::json!({
            "address": address, "provider": null, "region": "cn-hangzhou",
            "security_group_id": sg, "target": target,
        })
    };
    let doc = serde_json::json!({
        "version": 1, "lineage": LINEAGE, "serial": 4,
        "memberships": [
            entry("group_members.db", "sg-bp1db00000000000000a", "eni-bp1eni0000000000000a"),
            entry(r#"membership.web["i-bp1web0000000000000b"]"#, "sg-bp1web00000000000000",
                  "i-bp1web0000000000000b"),
            entry(r#"membership.web["i-bp1web0000000000000a"]"#, "sg-bp1web00000000000000",
                  "i-bp1web0000000000000a"),
        ],
    });
    serde_json::to_string_pretty(&doc).unwrap()
}

struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn with_state() -> Self {
        let dir = Self::empty();
        std::fs::write(dir.state(), state_json()).unwrap();
        dir
    }

    fn empty() -> Self {
        Self {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn state(&self) -> PathBuf {
        self.path().join("sgform.state.json")
    }

    fn info(&self) -> PathBuf {
        self.path()
            .join(".sgform/locks/sgform.state.json.lock.info")
    }

    fn run(&self, args: &[&str]) -> Output {
        sgform()
            .args(args)
            .current_dir(self.path())
            .env("USER", "alice")
            .output()
            .unwrap()
    }

    fn state_value(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.state()).unwrap()).unwrap()
    }

    /// A child `sgform state hold-lock` that holds the lock until its stdin closes.
    fn hold_lock(&self) -> Holder {
        let mut child = sgform()
            .args(["state", "hold-lock"])
            .current_dir(self.path())
            .env("USER", "bob")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("hold-lock printed {line:?}: {e}"));
        Holder {
            stdin: child.stdin.take(),
            child,
            id: info["id"].as_str().unwrap().to_owned(),
        }
    }
}

struct Holder {
    child: Child,
    stdin: Option<ChildStdin>,
    id: String,
}

impl Holder {
    /// Closes stdin: the holder releases the lock and exits 0.
    fn release(mut self) {
        drop(self.stdin.take());
        assert!(self.child.wait().unwrap().success());
    }

    fn sigkill(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[test]
fn state_list_prints_one_sorted_line_per_entry() {
    let dir = Dir::with_state();
    let out = dir.run(&["state", "list"]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "group_members.db\tsg-bp1db00000000000000a/eni-bp1eni0000000000000a\n\
         membership.web[\"i-bp1web0000000000000a\"]\tsg-bp1web00000000000000/i-bp1web0000000000000a\n\
         membership.web[\"i-bp1web0000000000000b\"]\tsg-bp1web00000000000000/i-bp1web0000000000000b\n"
    );
}

#[test]
fn state_list_reads_dir_and_state_arguments() {
    let dir = Dir::with_state();
    let other = dir.path().join("other.json");
    std::fs::rename(dir.state(), &other).unwrap();
    let by_flag = sgform()
        .args(["state", "list", "--state"])
        .arg(&other)
        .output()
        .unwrap();
    assert_exit(&by_flag, 0);
    assert_eq!(stdout(&by_flag).lines().count(), 3);
    std::fs::rename(&other, dir.state()).unwrap();
    let by_dir = sgform()
        .args(["state", "list"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_exit(&by_dir, 0);
    assert_eq!(stdout(&by_dir), stdout(&by_flag));
}

#[test]
fn state_list_without_a_state_prints_nothing() {
    let out = Dir::empty().run(&["state", "list"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "");
}

#[test]
fn state_show_prints_the_entries_of_an_address() {
    let dir = Dir::with_state();
    let out = dir.run(&[
        "state",
        "show",
        r#"membership.web["i-bp1web0000000000000a"]"#,
    ]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "membership.web[\"i-bp1web0000000000000a\"]\n  \
         security_group_id = \"sg-bp1web00000000000000\"\n  \
         target            = \"i-bp1web0000000000000a\"\n  \
         region            = \"cn-hangzhou\"\n  \
         provider          = (default)\n"
    );
    let block = dir.run(&["state", "show", "membership.web"]);
    assert_exit(&block, 0);
    assert_eq!(stdout(&block).matches("membership.web[").count(), 2);
}

#[test]
fn state_show_of_an_unknown_address_fails_with_a_hint() {
    let out = Dir::with_state().run(&["state", "show", "membership.api"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("no state entry for `membership.api`"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("sgform state list"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn state_rm_forgets_an_entry_with_a_backup_and_a_new_serial() {
    let dir = Dir::with_state();
    let before = std::fs::read(dir.state()).unwrap();
    let out = dir.run(&["state", "rm", r#"membership.web["i-bp1web0000000000000a"]"#]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "Removed membership.web[\"i-bp1web0000000000000a\"] (sg-bp1web00000000000000/i-bp1web0000000000000a)\n\
         Successfully removed 1 membership from the state (serial 5); the cloud was not changed.\n"
    );
    let state = dir.state_value();
    assert_eq!(state["serial"], 5);
    assert_eq!(state["lineage"], LINEAGE);
    assert_eq!(state["memberships"].as_array().unwrap().len(), 2);
    let backup = dir.path().join("sgform.state.json.backup");
    assert_eq!(std::fs::read(&backup).unwrap(), before);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.state()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(!dir.info().exists(), "the lock info is removed on unlock");
}

#[test]
fn state_rm_of_a_block_forgets_every_instance_and_takes_a_dir() {
    let dir = Dir::with_state();
    let out = sgform()
        .args(["state", "rm", "membership.web", "group_members.db"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("Successfully removed 3 memberships"),
        "{}",
        stdout(&out)
    );
    assert_eq!(dir.state_value()["memberships"], serde_json::json!([]));
}

#[test]
fn state_rm_dry_run_changes_nothing() {
    let dir = Dir::with_state();
    let before = std::fs::read(dir.state()).unwrap();
    let out = dir.run(&["state", "rm", "--dry-run", "group_members.db"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).starts_with("Would remove group_members.db"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(dir.state()).unwrap(), before);
}

#[test]
fn state_rm_of_an_unknown_address_fails_and_removes_nothing() {
    let dir = Dir::with_state();
    let before = std::fs::read(dir.state()).unwrap();
    let out = dir.run(&["state", "rm", "group_members.db", "membership.api"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("no state entry for `membership.api`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(dir.state()).unwrap(), before);
    assert!(!dir.path().join("sgform.state.json.backup").exists());
}

#[test]
fn state_rm_refuses_a_corrupt_state_and_leaves_it_alone() {
    let dir = Dir::empty();
    std::fs::write(dir.state(), "{ torn").unwrap();
    let out = dir.run(&["state", "rm", "group_members.db"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("is corrupt"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.state()).unwrap(), "{ torn");
}

#[test]
fn a_second_locker_fails_at_once_naming_the_holder() {
    let dir = Dir::with_state();
    let holder = dir.hold_lock();
    let before = std::fs::read(dir.state()).unwrap();
    let start = Instant::now();
    let out = dir.run(&["state", "rm", "group_members.db"]);
    assert!(start.elapsed() < Duration::from_secs(5), "it waited");
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("is locked by bob@"), "{err}");
    assert!(err.contains("(operation state hold-lock, pid "), "{err}");
    assert!(
        err.contains(&format!("pid {},", holder.child.id())),
        "{err}"
    );
    assert!(err.contains(&format!("id {})", holder.id)), "{err}");
    assert!(
        err.contains("hint: another sgform run is using this state"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.state()).unwrap(), before);
    holder.release();
}

#[test]
fn lock_false_skips_the_lock() {
    let dir = Dir::with_state();
    let holder = dir.hold_lock();
    let out = dir.run(&["state", "rm", "--lock=false", "group_members.db"]);
    assert_exit(&out, 0);
    assert_eq!(dir.state_value()["serial"], 5);
    holder.release();
}

#[test]
fn after_the_holder_is_killed_the_next_run_locks_at_once() {
    let dir = Dir::with_state();
    dir.hold_lock().sigkill();
    // The info file outlives a SIGKILL; the OS lock does not.
    assert!(dir.info().exists());
    let out = dir.run(&["state", "rm", "group_members.db"]);
    assert_exit(&out, 0);
    assert!(!dir.info().exists());
}

#[test]
fn with_a_lock_timeout_a_run_waits_for_the_holder() {
    let dir = Dir::with_state();
    let holder = dir.hold_lock();
    let mut waiter = sgform()
        .args(["state", "rm", "group_members.db", "--lock-timeout", "1m"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Release only once the waiter has found the lock held and said whom it waits for.
    let mut err = BufReader::new(waiter.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("Waiting up to 60s for the state lock, held by bob@"),
        "{line}"
    );
    holder.release();
    let out = waiter.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("Successfully removed 1 membership"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn with_a_lock_timeout_a_run_gives_up_naming_the_holder() {
    let dir = Dir::with_state();
    let holder = dir.hold_lock();
    let out = dir.run(&["state", "rm", "group_members.db", "--lock-timeout", "1s"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("is locked by bob@"), "{err}");
    assert!(err.contains("gave up after waiting 1s"), "{err}");
    holder.release();
}

#[test]
fn a_malformed_lock_timeout_is_a_usage_error() {
    let out = Dir::with_state().run(&["state", "rm", "group_members.db", "--lock-timeout", "5"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("invalid duration `5`: missing unit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn force_unlock_removes_a_dead_holders_lock_only_by_its_id() {
    let dir = Dir::with_state();
    let holder = dir.hold_lock();
    let id = holder.id.clone();
    holder.sigkill();

    let wrong = dir.run(&["force-unlock", "0000"]);
    assert_exit(&wrong, 1);
    let err = stderr(&wrong);
    assert!(err.contains("lock id `0000` does not match"), "{err}");
    assert!(err.contains(&format!("id {id})")), "{err}");
    assert!(dir.info().exists());

    let right = dir.run(&["force-unlock", &id]);
    assert_exit(&right, 0);
    assert!(
        stdout(&right).starts_with("Removed the lock on"),
        "{}",
        stdout(&right)
    );
    assert!(!dir.info().exists());

    let again = dir.run(&["force-unlock", &id]);
    assert_exit(&again, 1);
    assert!(
        stderr(&again).contains("is not locked"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn force_unlock_does_not_break_a_running_holders_lock() {
    let dir = Dir::with_state();
    let holder = dir.hold_lock();
    let out = dir.run(&["force-unlock", &holder.id]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("still held by a running process"),
        "{}",
        stderr(&out)
    );
    assert!(dir.run(&["state", "rm", "group_members.db"]).status.code() == Some(1));
    holder.release();
}

/// A configuration whose sensitive variables hold a group of the state (by default) and a
/// target (only when given with `--var`).
const SENSITIVE_HCL: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
}

variable "web_group" {
  type      = string
  default   = "sg-bp1web00000000000000"
  sensitive = true
}

variable "first_web" {
  type      = string
  default   = "none"
  sensitive = true
}

membership "web" {
  for_each          = toset(["i-bp1web0000000000000b"])
  security_group_id = var.web_group
  instance_id       = each.value
}
"#;

#[test]
fn state_list_and_show_mask_the_values_of_sensitive_variables() {
    let dir = Dir::with_state();
    std::fs::write(dir.path().join("main.hcl"), SENSITIVE_HCL).unwrap();
    let out = dir.run(&["state", "list"]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "group_members.db\tsg-bp1db00000000000000a/eni-bp1eni0000000000000a\n\
         membership.web[\"i-bp1web0000000000000a\"]\t(sensitive value)/i-bp1web0000000000000a\n\
         membership.web[\"i-bp1web0000000000000b\"]\t(sensitive value)/i-bp1web0000000000000b\n"
    );
    // A value given on the command line is as sensitive as a default.
    let out = dir.run(&[
        "state",
        "show",
        "membership.web",
        "--var",
        "first_web=i-bp1web0000000000000a",
    ]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "membership.web[\"i-bp1web0000000000000a\"]\n\
         \x20 security_group_id = (sensitive value)\n\
         \x20 target            = (sensitive value)\n\
         \x20 region            = \"cn-hangzhou\"\n\
         \x20 provider          = (default)\n\
         \n\
         membership.web[\"i-bp1web0000000000000b\"]\n\
         \x20 security_group_id = (sensitive value)\n\
         \x20 target            = \"i-bp1web0000000000000b\"\n\
         \x20 region            = \"cn-hangzhou\"\n\
         \x20 provider          = (default)\n"
    );
    assert!(!stdout(&out).contains("sg-bp1web"), "{}", stdout(&out));
}

#[test]
fn state_list_without_a_configuration_masks_nothing() {
    // No `*.hcl` in DIR (nor a DIR at all, with `--state`): the state alone, nothing known to be
    // sensitive.
    let dir = Dir::with_state();
    let out = dir.run(&["state", "list"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("sg-bp1web00000000000000/i-bp1web0000000000000a"));
    let state = dir.state();
    let out = dir.run(&[
        "state",
        "list",
        "no-such-dir",
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 3, "{}", stdout(&out));
}

#[test]
fn show_of_a_directory_prints_its_state_by_address_masked() {
    let dir = Dir::with_state();
    std::fs::write(dir.path().join("main.hcl"), SENSITIVE_HCL).unwrap();
    let expected = "# group_members.db:\n\
         \x20 sg-bp1db00000000000000a / eni-bp1eni0000000000000a (cn-hangzhou)\n\
         \n\
         # membership.web[\"i-bp1web0000000000000a\"]:\n\
         \x20 (sensitive value) / i-bp1web0000000000000a (cn-hangzhou)\n\
         \n\
         # membership.web[\"i-bp1web0000000000000b\"]:\n\
         \x20 (sensitive value) / i-bp1web0000000000000b (cn-hangzhou)\n";
    for args in [&["show"][..], &["show", "."]] {
        let out = dir.run(args);
        assert_exit(&out, 0);
        assert_eq!(stdout(&out), expected, "{args:?}");
    }
    // The state elsewhere, and a directory without configuration: nothing masked.
    let other = Dir::empty();
    let state = dir.state();
    let out = other.run(&["show", ".", "--state", state.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("  sg-bp1web00000000000000 / i-bp1web0000000000000a (cn-hangzhou)\n"),
        "{}",
        stdout(&out)
    );
    // Text only: the plan formats are for a plan file.
    let out = dir.run(&["show", "--json"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

#[test]
fn show_of_an_empty_state_says_so() {
    let dir = Dir::empty();
    let out = dir.run(&["show"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "No state.\n");
}

#[test]
fn show_of_a_file_that_is_not_a_plan_file_names_it() {
    let dir = Dir::with_state();
    std::fs::write(dir.path().join("main.hcl"), SENSITIVE_HCL).unwrap();
    let out = dir.run(&["show", "main.hcl"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("`main.hcl` is not an sgform plan file"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let out = dir.run(&["show", "missing.plan"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("missing.plan"), "{}", stderr(&out));
}
