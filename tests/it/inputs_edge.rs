//! Inputs at the edge, through the binary: input files have a size limit with an error naming
//! the file and the limit.
//!
//! The issue's example: `--var-file /dev/zero` read until memory ran out.

use crate::support::sgform;

fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        "variable \"x\" {\n  default = \"a\"\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_var_file_that_never_ends_is_refused_at_the_limit() {
    let dir = config_dir();
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .args(["--var-file", "/dev/zero"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`/dev/zero`"), "{stderr}");
    assert!(
        stderr.contains("over the limit of 16777216 bytes"),
        "{stderr}"
    );
}

#[test]
fn a_configuration_file_over_the_limit_is_refused() {
    let dir = config_dir();
    let big = std::fs::File::create(dir.path().join("huge.hcl")).unwrap();
    big.set_len(16 * 1024 * 1024 + 1).unwrap();
    let out = sgform().arg("validate").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("huge.hcl`"), "{stderr}");
    assert!(
        stderr.contains("over the limit of 16777216 bytes"),
        "{stderr}"
    );
}

const SG_FROM_VAR: &str = r#"
variable "sg" {
  type = string
}
membership "web" {
  security_group_id = var.sg
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
"#;

/// Neither an escape sequence nor a carriage return from a configuration value or file
/// reaches the terminal raw.
fn assert_no_raw_controls(out: &std::process::Output) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\r'),
            "{name} carries a raw control character: {text:?}"
        );
    }
}

#[test]
fn a_variable_value_with_escape_sequences_is_shown_stripped_in_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hcl"), SG_FROM_VAR).unwrap();
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .args(["--var", "sg=sg-\u{1b}[31mRED\r\u{1b}]0;title\u{7}X"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("malformed security group ID `sg-REDX`"),
        "{stderr}"
    );
    assert_no_raw_controls(&out);
}

#[test]
fn a_configuration_file_with_raw_escapes_is_shown_stripped_in_its_snippet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        SG_FROM_VAR.replace("var.sg", "\"sg-\u{1b}[31mRED\rX\""),
    )
    .unwrap();
    let out = sgform().arg("validate").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("main.hcl"), "{stderr}");
    assert_no_raw_controls(&out);
}

#[test]
fn a_variable_file_name_with_escapes_is_shown_stripped_in_the_error() {
    let dir = config_dir();
    let out = sgform()
        .arg("validate")
        .arg(dir.path())
        .args(["--var-file", "/nonexistent/\u{1b}[2Jvars\r.tfvars"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/vars.tfvars"), "{stderr}");
    assert_no_raw_controls(&out);
}

/// A stop signal during the refresh (each call answered after 3 s): the apply ends at once with
/// the signal's code and one line, and nothing was sent or written.
async fn a_signal_during_the_refresh_cancels_before_any_change(signal: &str, code: i32) {
    use crate::apply::{emulator_config, hcl_list, instance, sgform_with_key, text, world};
    use crate::support::emu_env::{Emu, members_of};

    let options = sgform::emulator::Options {
        latency_ms: 3000,
        ..sgform::emulator::Options::default()
    };
    let emu = Emu::start(world(3, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (0..3).map(instance).collect();
    emulator_config(
        dir.path(),
        &emu.base,
        &format!(
            "group_members \"a\" {{\n  security_group_id = \"sg-bp1grpa0000000\"\n  instance_ids = {}\n}}\n",
            hcl_list(&ids)
        ),
    );
    let child = sgform_with_key(dir.path())
        .args(["apply", ".", "--auto-approve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "SIG{signal} received: cancelled before any change; nothing was sent."
        )),
        "{stderr}"
    );
    assert!(
        !dir.path().join("sgform.state.json").exists(),
        "a state was written"
    );
    assert!(
        members_of(&emu.world().await, "sg-bp1grpa0000000").is_empty(),
        "a join was sent"
    );
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_refresh_exits_143_having_sent_and_written_nothing() {
    a_signal_during_the_refresh_cancels_before_any_change("TERM", 143).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_during_the_refresh_exits_129_having_sent_and_written_nothing() {
    a_signal_during_the_refresh_cancels_before_any_change("HUP", 129).await;
}
