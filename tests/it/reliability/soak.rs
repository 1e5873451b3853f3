//! The soak: rounds of random joins and leaves over instances and ENIs in eight groups, each
//! applied by the binary against an emulator that fails 20% of all requests (500, 503,
//! throttling, 409, connections dropped before and after the commit, which the client sees as
//! an unknown outcome), `apply` run again until `plan` has nothing to do. After every round
//! the state equals the cloud equals the configuration; at the end the request log shows no
//! committed mutation sent again.
//!
//! `SGFORM_SOAK_OPS` (default 300) operations in all, in rounds of at most 500; once with the
//! state in the local file, once with it in PostgreSQL (`SGFORM_PG_CONN_STR`).

use std::time::Instant;

use sgform::emulator::{Fault, Faults, Options};

use super::fleet::{self, Backend, Fleet, Indexes, Rng};
use crate::support::emu_env::Emu;

#[allow(clippy::disallowed_methods)] // the suite's own size knob, not sgform's environment
fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Applies until `plan` is empty, at most ten times; returns (applies, retries).
#[allow(clippy::print_stderr)] // a test's own progress, shown when it fails
pub async fn converge(fleet: &Fleet, dir: &std::path::Path, parallelism: usize) -> (u64, u64) {
    let (mut applies, mut retries) = (0, 0);
    loop {
        assert!(applies < 10, "no convergence after 10 applies");
        let out = fleet
            .sgform(dir)
            .args(["apply", ".", "--auto-approve", "--parallelism"])
            .arg(parallelism.to_string())
            .args(["--rate-limit", "1000", "--lock-timeout", "30s"])
            .output()
            .await
            .unwrap();
        applies += 1;
        retries += fleet::retries(&String::from_utf8_lossy(&out.stdout));
        if out.status.code() != Some(0) {
            eprintln!(
                "apply {applies} did not finish (applied again):\n{}",
                fleet::text(&out)
            );
        }
        if fleet.plan_is_empty(dir).await {
            return (applies, retries);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_faults_converges_and_never_resends_a_confirmed_operation() {
    soak(Backend::Local, size("SGFORM_SOAK_OPS", 300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_on_pg_with_faults_converges_and_never_resends_a_confirmed_operation() {
    soak(Backend::pg("soak"), size("SGFORM_SOAK_OPS", 300)).await;
}

/// `total` operations in two rounds (or rounds of 500), the state in `backend`.
#[allow(clippy::print_stdout)] // the run's figures, which `--nocapture` shows
async fn soak(backend: Backend, total: usize) {
    let round = (total / 2).clamp(1, 500);
    let fleet = Fleet::for_round(round).on(backend);
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("emulator.log");
    let mut faults = Faults::none();
    for f in Fault::ALL {
        faults = faults.with(*f, 0.2 / Fault::ALL.len() as f64);
    }
    let options = Options {
        faults,
        latency_ms: 1,
        jitter_ms: 3,
        seed: Some(14),
        log: Some(log.clone()),
        ..Options::default()
    };
    let emu = Emu::start(fleet.world(&Indexes::new()), options).await;
    let mut rng = Rng(0x50A6);
    let mut desired = Indexes::new();
    let (mut done, mut rounds, mut applies, mut retries) = (0, 0, 0, 0);
    while done < total {
        let n = round.min(total - done);
        desired = fleet.flip(&desired, n, &mut rng);
        done += n;
        rounds += 1;
        std::fs::write(
            dir.path().join("main.hcl"),
            fleet.config(&emu.base, &desired),
        )
        .unwrap();
        let (a, r) = converge(&fleet, dir.path(), 20).await;
        applies += a;
        retries += r;
        let cloud = fleet::cloud_pairs(&emu.world().await);
        assert_eq!(
            cloud,
            fleet.pairs(&desired),
            "round {rounds}: cloud vs configuration"
        );
        assert_eq!(
            fleet.state_pairs(dir.path()).await,
            cloud,
            "round {rounds}: state vs cloud"
        );
    }
    emu.stop().await;
    let log = fleet::read_log(&log);
    assert!(
        log.resent.is_empty(),
        "{} confirmed mutations sent again:\n{}",
        log.resent.len(),
        log.resent.join("\n")
    );
    for kind in fleet::FAULTS {
        assert!(
            log.codes.get(*kind).is_some_and(|c| *c > 0),
            "no {kind}: {:?}",
            log.codes
        );
    }
    let rate = log.faults() as f64 / log.requests as f64;
    assert!(
        (0.12..0.28).contains(&rate),
        "fault rate {rate}: {:?}",
        log.codes
    );
    println!(
        "soak ({:?}): {total} operations in {rounds} rounds over {} instances, {} ENIs, {} groups: \
         converged with {applies} applies in {:.1} s; {} API calls ({} mutations, {} committed), \
         {} faults injected ({:.1}%), {retries} retries reported; 0 confirmed operations re-sent",
        fleet.backend,
        fleet.instances,
        fleet.enis,
        fleet.groups,
        started.elapsed().as_secs_f64(),
        log.requests,
        log.mutations,
        log.committed,
        log.faults(),
        rate * 100.0
    );
    println!("soak: answers by code: {:?}", log.codes);
}
