//! Inputs at the edge, through the binary: input files have a size limit with an error naming
//! the file and the limit.
//!
//! The example: `--var-file /dev/zero` read until memory ran out.

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
