//! The crash run: one big apply (joins and leaves of pairs an earlier apply left in the state)
//! against an emulator with latency, SIGKILLed at random moments: each time `apply` is started
//! again from where the last one was killed, and killed again, `SGFORM_CRASH_KILLS` times
//! (default 5) over `SGFORM_CRASH_OPS` operations (default 150); once with the state in the
//! local file, once with it in PostgreSQL (`SGFORM_PG_CONN_STR`). After every kill the state
//! parses (`sgform state list` exits 0). After the last, one more apply converges, `plan` is
//! empty, the state equals the cloud and the request log shows no committed mutation sent
//! again.
//!
//! A kill lands after a random number of the apply's operation lines (up to 1.5 times its
//! share of the operations left), then a random 0–30 ms more: during a call, a state write, or
//! (after no line) just as the first operations start.

use std::time::{Duration, Instant};

use sgform::emulator::Options;
use tokio::io::AsyncBufReadExt as _;

use super::fleet::{self, Backend, Fleet, Rng};
use super::soak::converge;
use crate::support::emu_env::Emu;

#[allow(clippy::disallowed_methods)] // the suite's own size knob, not sgform's environment
fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The operations the `Plan: J to join, L to leave, R to replace` line announces.
fn planned(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("Plan: ")?;
    let mut sum = 0;
    for part in rest.split(", ").take(3) {
        sum += part.split(' ').next()?.parse::<usize>().ok()?;
    }
    Some(sum)
}

fn is_operation_line(line: &str) -> bool {
    line.starts_with("membership.")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_applies_leave_a_state_that_parses_and_the_next_converges() {
    let (ops, kills) = (size("SGFORM_CRASH_OPS", 150), size("SGFORM_CRASH_KILLS", 5));
    crash(Backend::Local, ops, kills).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_applies_on_pg_leave_a_state_that_parses_and_the_next_converges() {
    let (ops, kills) = (size("SGFORM_CRASH_OPS", 150), size("SGFORM_CRASH_KILLS", 5));
    crash(Backend::pg("crash"), ops, kills).await;
}

/// One apply of `ops` operations SIGKILLed `kills` times, the state in `backend`.
#[allow(clippy::print_stdout)] // the run's figures, which `--nocapture` shows
async fn crash(backend: Backend, ops: usize, kills: usize) {
    let fleet = Fleet::for_round(ops).on(backend);
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("emulator.log");
    let mut rng = Rng(0xC4A5);
    // What an earlier apply left: about a third of the pairs, in the world and in the state.
    let before = fleet.flip(&Default::default(), fleet.targets(), &mut rng);
    let after = fleet.flip(&before, ops, &mut rng);
    let options = Options {
        latency_ms: 10,
        jitter_ms: 10,
        seed: Some(14),
        log: Some(log.clone()),
        ..Options::default()
    };
    let emu = Emu::start(fleet.world(&before), options).await;
    fleet.seed(dir.path(), &before);
    std::fs::write(dir.path().join("main.hcl"), fleet.config(&emu.base, &after)).unwrap();

    let (mut killed, mut finished, mut lines_total) = (0, 0, 0);
    let mut remaining_kills = kills;
    while remaining_kills > 0 {
        let mut child = fleet
            .sgform(dir.path())
            .args(["apply", ".", "--auto-approve", "--parallelism", "10"])
            // A killed holder's lock is gone when the kernel closes its file (local) or, for
            // pg, once the server has seen its connection close: a moment later.
            .args(["--rate-limit", "1000", "--lock-timeout", "30s"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut kill_after = None;
        let mut seen = 0;
        let mut ended = false;
        loop {
            if kill_after.is_some_and(|k| seen >= k) {
                break;
            }
            let Some(line) = lines.next_line().await.unwrap() else {
                ended = true;
                break;
            };
            if let Some(n) = planned(&line) {
                // Up to 1.5 times this kill's share of the operations left (two lines each):
                // on average three quarters of it, so even the last kill rarely comes after the
                // apply ended, and the converging apply still has work to do.
                let lines = 3 * n / remaining_kills;
                kill_after = Some(rng.below(lines.max(1) + 1));
            }
            seen += usize::from(is_operation_line(&line));
        }
        tokio::time::sleep(Duration::from_millis(rng.below(31) as u64)).await;
        let _ = child.start_kill(); // SIGKILL
        let status = child.wait().await.unwrap();
        lines_total += seen;
        // An apply that ended by itself (not by the signal) must have succeeded: there are no
        // faults here.
        if ended && status.code().is_some() {
            assert!(status.success(), "an apply failed: {status}");
            finished += 1;
            break;
        }
        killed += 1;
        remaining_kills -= 1;
        // The state parses, as the binary reads it.
        fleet.state_pairs(dir.path()).await;
    }
    assert!(
        killed == kills || finished == 1,
        "{killed} kills, {finished} finished"
    );

    let (applies, retries) = converge(&fleet, dir.path(), 10).await;
    let cloud = fleet::cloud_pairs(&emu.world().await);
    assert_eq!(cloud, fleet.pairs(&after), "cloud vs configuration");
    assert_eq!(fleet.state_pairs(dir.path()).await, cloud, "state vs cloud");
    emu.stop().await;
    let log = fleet::read_log(&log);
    assert!(
        log.resent.is_empty(),
        "{} confirmed mutations sent again:\n{}",
        log.resent.len(),
        log.resent.join("\n")
    );
    println!(
        "crash ({:?}): {ops} operations over {} instances, {} ENIs, {} groups; {killed} SIGKILLs \
         ({lines_total} operation lines seen before them){}; converged with {applies} more \
         applies ({retries} retries) in {:.1} s in all; {} API calls ({} mutations, {} committed); \
         0 confirmed operations re-sent",
        fleet.backend,
        fleet.instances,
        fleet.enis,
        fleet.groups,
        if finished > 0 {
            ", then an apply finished before its kill"
        } else {
            ""
        },
        started.elapsed().as_secs_f64(),
        log.requests,
        log.mutations,
        log.committed,
    );
}
