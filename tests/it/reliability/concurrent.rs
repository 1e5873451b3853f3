//! Four `sgform apply --auto-approve` processes started at once on one configuration and one
//! state: the lock serialises them. Each exits 0 (or fails only with the lock's documented
//! error), the operations are done once between them, the state equals the cloud, and the
//! state's serial only ever grows, under one lineage, while they run.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sgform::emulator::Options;
use sgform::state::Backend as _;

use super::fleet::{self, Fleet, Rng};
use crate::support::emu_env::Emu;

/// `Apply complete! J joined, L left, R replaced …`: J + L + R.
fn applied(stdout: &str) -> usize {
    let Some(line) = stdout.lines().find(|l| l.starts_with("Apply complete! ")) else {
        return 0;
    };
    line["Apply complete! ".len()..]
        .split(", ")
        .take(3)
        .filter_map(|p| p.split(' ').next()?.parse::<usize>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_concurrent_applies_on_one_state_serialise_and_agree_with_the_cloud() {
    let ops = 60;
    let fleet = Fleet::for_round(ops);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("emulator.log");
    let mut rng = Rng(4);
    let before = fleet.flip(&Default::default(), fleet.targets(), &mut rng);
    let after = fleet.flip(&before, ops, &mut rng);
    let options = Options {
        latency_ms: 5,
        jitter_ms: 5,
        log: Some(log.clone()),
        ..Options::default()
    };
    let emu = Emu::start(fleet.world(&before), options).await;
    let state_path = dir.path().join("sgform.state.json");
    let first = sgform::state::LocalFile::new(&state_path)
        .write(&fleet.state(&before))
        .unwrap();
    std::fs::write(dir.path().join("main.hcl"), fleet.config(&emu.base, &after)).unwrap();

    // Watches the state while the applies run: every version read has the lineage, and the
    // serial never goes back.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, path, lineage) = (stop.clone(), state_path.clone(), first.lineage.clone());
        std::thread::spawn(move || {
            let mut serials = BTreeSet::new();
            let mut last = 0;
            while !stop.load(Ordering::Relaxed) {
                let state = sgform::state::read(&path).expect("the state parses at every moment");
                assert_eq!(state.lineage, lineage);
                assert!(state.serial >= last, "serial {} after {last}", state.serial);
                last = state.serial;
                serials.insert(state.serial);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            serials
        })
    };

    let runs: Vec<_> = (0..4)
        .map(|_| {
            fleet
                .sgform(dir.path())
                .args(["apply", ".", "--auto-approve", "--lock-timeout", "5m"])
                .output()
        })
        .collect();
    let outputs = futures_join(runs).await;
    stop.store(true, Ordering::Relaxed);
    let serials = watcher.join().unwrap();

    let mut done = 0;
    for out in &outputs {
        let out = out.as_ref().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success()
                || (stderr.contains("` is locked by ") && stderr.contains("state")),
            "{}",
            fleet::text(out)
        );
        done += applied(&String::from_utf8_lossy(&out.stdout));
    }
    let changes = fleet
        .pairs(&before)
        .symmetric_difference(&fleet.pairs(&after))
        .count();
    assert_eq!(
        done, changes,
        "the operations were done once between the four"
    );
    let cloud = fleet::cloud_pairs(&emu.world().await);
    assert_eq!(cloud, fleet.pairs(&after));
    assert_eq!(fleet.state_pairs(dir.path()).await, cloud);
    assert!(fleet.plan_is_empty(dir.path()).await);
    let last = sgform::state::read(&state_path).unwrap();
    assert_eq!(last.lineage, first.lineage);
    assert!(last.serial > first.serial);
    assert!(
        serials
            .iter()
            .all(|s| *s >= first.serial && *s <= last.serial),
        "{serials:?}"
    );
    emu.stop().await;
    assert!(fleet::read_log(&log).resent.is_empty());
}

/// Awaits every future, in order.
async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
