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
