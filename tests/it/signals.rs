//! SIGTERM and SIGHUP take Ctrl-C's path through the real binary: the apply starts nothing new,
//! the operations in flight finish and are saved, the summary says cancelled, and the exit
//! code is 143 / 129; a second signal of any kind exits at once with its own code.
//!
//! The example: a SIGTERM during an apply of leaves left a completed leave in the state.

use std::collections::BTreeSet;
use std::path::Path;

use sgform::emulator::Options;
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout};

use crate::apply::{emulator_config, hcl_list, instance, sgform_with_key, text, world};
use crate::support::emu_env::{Emu, members_of};

const GROUP: &str = "sg-bp1grpa0000000";

/// `group_members "a"`: exactly `ids` in group A.
fn members_block(ids: &[String]) -> String {
    format!(
        "group_members \"a\" {{\n  security_group_id = \"{GROUP}\"\n  instance_ids = {}\n}}\n",
        hcl_list(ids)
    )
}

fn recorded(dir: &Path) -> BTreeSet<String> {
    sgform::state::read(&dir.join("sgform.state.json"))
        .unwrap()
        .memberships
        .iter()
        .map(|m| m.target.to_string())
        .collect()
}

fn kill(pid: &str, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), pid])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `n` instances all in group A under management, then an apply (`--parallelism 1`, 100 ms per
/// call) that leaves all but the first, running as a child with its stdout and stderr piped.
async fn leaving_apply(n: usize, emu: &Emu, dir: &Path) -> Child {
    let ids: Vec<String> = (0..n).map(instance).collect();
    emulator_config(dir, &emu.base, &members_block(&ids));
    let joined = sgform_with_key(dir)
        .args(["apply", ".", "--auto-approve", "--parallelism", "20"])
        .output()
        .await
        .unwrap();
    assert_eq!(joined.status.code(), Some(0), "{}", text(&joined));
    assert_eq!(recorded(dir).len(), n);
    emulator_config(dir, &emu.base, &members_block(&ids[..1]));
    sgform_with_key(dir)
        .args(["apply", ".", "--auto-approve", "--parallelism", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads `lines` until one satisfies `stop` (included); every line read is pushed to `seen`.
async fn read_until<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Lines<R>,
    seen: &mut Vec<String>,
    stop: impl Fn(&str) -> bool,
) {
    while let Some(line) = lines.next_line().await.unwrap() {
        let done = stop(&line);
        seen.push(line);
        if done {
            return;
        }
    }
    panic!(
        "the output ended before the line awaited:\n{}",
        seen.join("\n")
    );
}

async fn read_rest<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Lines<R>,
    seen: &mut Vec<String>,
) {
    while let Some(line) = lines.next_line().await.unwrap() {
        seen.push(line);
    }
}

type Pipes = (Lines<BufReader<ChildStdout>>, Lines<BufReader<ChildStderr>>);

fn pipes(child: &mut Child) -> Pipes {
    (
        BufReader::new(child.stdout.take().unwrap()).lines(),
        BufReader::new(child.stderr.take().unwrap()).lines(),
    )
}

async fn one_signal_cancels(signal: &str, code: i32) {
    let n = 12;
    let options = Options {
        latency_ms: 100,
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = leaving_apply(n, &emu, dir.path()).await;
    let pid = child.id().unwrap().to_string();
    let (mut stdout, mut stderr) = pipes(&mut child);
    let mut seen = Vec::new();
    read_until(&mut stdout, &mut seen, |l| l.contains(": Left (")).await;
    kill(&pid, signal);
    let mut errors = Vec::new();
    read_rest(&mut stdout, &mut seen).await;
    read_rest(&mut stderr, &mut errors).await;
    let status = child.wait().await.unwrap();
    let (stdout, stderr) = (seen.join("\n"), errors.join("\n"));
    assert_eq!(status.code(), Some(code), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "SIG{signal} received: finishing the operations in flight and saving the state; a second signal exits at once."
        )),
        "{stderr}"
    );
    assert!(stdout.contains("Apply cancelled: 0 joined, "), "{stdout}");
    assert!(
        stdout.contains("; the state holds every completed operation."),
        "{stdout}"
    );

    // The state is the cloud: no completed leave is still recorded, nothing not done is gone.
    let members = members_of(&emu.world().await, GROUP);
    assert_eq!(recorded(dir.path()), members, "the state tells the truth");
    assert!(
        members.len() > 1 && members.len() < n,
        "the apply was not cut short: {members:?}"
    );
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_work_saves_the_state_and_exits_143() {
    one_signal_cancels("TERM", 143).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_finishes_in_flight_work_saves_the_state_and_exits_129() {
    one_signal_cancels("HUP", 129).await;
}

/// SIGTERM then SIGHUP: the second exits at once with SIGHUP's code, without the summary. Each
/// leave is answered after 1 s, so one is in flight at the exit; the state still records every
/// pair the cloud has (it may also record the one in flight, which the next apply re-reads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_of_another_kind_exits_at_once() {
    let n = 8;
    let options = Options {
        op_ms: 1000,
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = leaving_apply(n, &emu, dir.path()).await;
    let pid = child.id().unwrap().to_string();
    let (mut stdout, mut stderr) = pipes(&mut child);
    let mut seen = Vec::new();
    read_until(&mut stdout, &mut seen, |l| l.ends_with(" ...")).await;
    kill(&pid, "TERM");
    let mut errors = Vec::new();
    read_until(&mut stderr, &mut errors, |l| {
        l.starts_with("SIGTERM received")
    })
    .await;
    kill(&pid, "HUP");
    read_rest(&mut stdout, &mut seen).await;
    read_rest(&mut stderr, &mut errors).await;
    let status = child.wait().await.unwrap();
    let (stdout, stderr) = (seen.join("\n"), errors.join("\n"));
    assert_eq!(status.code(), Some(129), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Exiting at once; the state holds every completed operation."),
        "{stderr}"
    );
    assert!(!stdout.contains("Apply cancelled:"), "it waited:\n{stdout}");
    let members = members_of(&emu.world().await, GROUP);
    let state = recorded(dir.path());
    assert!(
        members.is_subset(&state),
        "a pair the cloud still has was forgotten: {:?}",
        members.difference(&state).collect::<Vec<_>>()
    );
    emu.stop().await;
}

/// SIGHUP when the terminal is gone: stdout and stderr are closed before the signal, so every
/// line sgform writes after it fails. The apply still stops, saves what completed and exits
/// 129 (a status line written with `eprintln!` used to panic, exit 101).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_the_output_gone_still_cancels_and_saves() {
    let n = 12;
    let options = Options {
        latency_ms: 100,
        ..Options::default()
    };
    let emu = Emu::start(world(n, false), options).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = leaving_apply(n, &emu, dir.path()).await;
    let pid = child.id().unwrap().to_string();
    let (mut stdout, stderr) = pipes(&mut child);
    let mut seen = Vec::new();
    read_until(&mut stdout, &mut seen, |l| l.contains(": Left (")).await;
    drop((stdout, stderr));
    kill(&pid, "HUP");
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(129), "{}", seen.join("\n"));
    let members = members_of(&emu.world().await, GROUP);
    assert_eq!(recorded(dir.path()), members, "the state tells the truth");
    assert!(members.len() > 1, "it did not stop: {members:?}");
    emu.stop().await;
}
