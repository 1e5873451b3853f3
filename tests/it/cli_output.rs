//! Output plumbing shared by every command: data on stdout survives a reader that stops early.

use std::io::Read as _;
use std::process::Stdio;

use crate::support::sgform;

#[test]
fn a_closed_stdout_pipe_ends_quietly_instead_of_panicking() {
    // A world big enough that writing it outlasts the pipe buffer, like `sgform ... | head`.
    let mut child = sgform()
        .args([
            "emulator",
            "generate",
            "--instances",
            "3000",
            "--enis",
            "500",
            "--groups",
            "40",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here: every later write gets EPIPE.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        first.starts_with(b"{"),
        "{:?}",
        String::from_utf8_lossy(&first)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
