//! A child `sgform apply` killed with SIGKILL at seeded random points of a 102-operation apply
//! (34 joins into A, 34 into B, 34 leaves from C of pairs the state manages) against an emulator
//! with latency and some throttling and dropped connections: after every kill the state file
//! and its `.backup` parse, the state differs from the cloud only by the operations that were
//! in flight (a pair it records was made, and a pair it forgets was left), and one more apply,
//! against the same world without faults, converges to an empty plan.
//!
//! The faults make kills land where a bug would show: a throttled call waits half a second
//! before it is sent again, so at most kill points some operations are started and not yet
//! made (a state that recorded intent before the commit would be caught), and a connection
//! dropped after the commit leaves one made and not yet known.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use sgform::emulator::{Fault, Faults, Options, World};
use sgform::state::{Backend as _, LocalFile, ManagedMembership, State};

use crate::apply::{emulator_config, hcl_list, instance, sgform_with_key, text, world};
use crate::support::emu_env::Emu;

const N: usize = 34;
const OPERATIONS: usize = 3 * N;
const PARALLELISM: usize = 10;
const KILLS: u64 = 6;
const A: &str = "sg-bp1grpa0000000";
const B: &str = "sg-bp1grpb0000000";
const C: &str = "sg-bp1grpc0000000";

/// A pair: (target, group).
type Pair = (String, String);

/// splitmix64: the kill points repeat from run to run.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Kill `k` of [`KILLS`] comes after a seeded random number of operation lines (a start or an
/// end, two per operation) within the k-th slice of the apply, so the kills spread over all of
/// it and land on whatever runs then: calls in flight, retries waiting, a state write.
fn kill_point(k: u64) -> usize {
    let lines = 2 * OPERATIONS as u64;
    let (from, to) = (k * lines / KILLS, (k + 1) * lines / KILLS);
    (from + splitmix(0x5EED ^ k) % (to - from)) as usize
}

fn is_operation_line(line: &str) -> bool {
    line.starts_with("group_members.") || line.starts_with("membership.")
}

/// Every (target, group) pair of A, B and C in the emulator's world.
fn world_pairs(world: &Value) -> BTreeSet<Pair> {
    let mut pairs = BTreeSet::new();
    for i in world["instances"].as_array().unwrap() {
        for g in i["security_group_ids"].as_array().unwrap() {
            let g = g.as_str().unwrap();
            if [A, B, C].contains(&g) {
                pairs.insert((i["id"].as_str().unwrap().to_owned(), g.to_owned()));
            }
        }
    }
    pairs
}

fn state_pairs(state: &State) -> BTreeSet<Pair> {
    state
        .memberships
        .iter()
        .map(|m| (m.target.to_string(), m.security_group_id.to_string()))
        .collect()
}

fn in_group(pairs: &BTreeSet<Pair>, groups: &[&str]) -> BTreeSet<Pair> {
    pairs
        .iter()
        .filter(|(_, g)| groups.contains(&g.as_str()))
        .cloned()
        .collect()
}

/// The state a previous apply left: every instance's membership of C, under
/// `membership.c["…"]`, which the configuration no longer declares (so apply leaves them).
fn write_managed_c(path: &Path) -> State {
    let memberships = (0..N)
        .map(|i| {
            serde_json::from_value::<ManagedMembership>(json!({
                "address": format!("membership.c[\"{}\"]", instance(i)),
                "provider": null, "region": "cn-hangzhou",
                "security_group_id": C, "target": instance(i)}))
            .unwrap()
        })
        .collect();
    let state = State {
        memberships,
        ..State::empty()
    };
    LocalFile::new(path).write(&state).unwrap()
}

/// A directory for the configuration and the state: in memory where the machine has
/// `/dev/shm`. A SIGKILL is not a power cut: what a killed process wrote is in the page cache
/// either way, so the test checks the same thing without paying for eight applies' fsyncs
/// on a shared disk.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

/// Latency, plus `faults` for the run that is killed; the converging run gets none, so that
/// its single try cannot fail by bad luck.
fn emulator_options(k: u64, faults: Faults) -> Options {
    Options {
        latency_ms: 3,
        jitter_ms: 6,
        faults,
        seed: Some(k),
        ..Options::default()
    }
}

async fn kill_and_converge(k: u64) {
    let faults = Faults::none()
        .with(Fault::Throttling, 0.10)
        .with(Fault::DropBeforeCommit, 0.03)
        .with(Fault::DropAfterCommit, 0.03);
    let emu = Emu::start(world(N, true), emulator_options(k, faults)).await;
    let dir = scratch_dir();
    let ids: Vec<String> = (0..N).map(instance).collect();
    let body = format!(
        "group_members \"a\" {{\n  security_group_id = \"{A}\"\n  instance_ids = {l}\n}}\n\ngroup_members \"b\" {{\n  security_group_id = \"{B}\"\n  instance_ids = {l}\n}}\n",
        l = hcl_list(&ids)
    );
    emulator_config(dir.path(), &emu.base, &body);
    let state_path = dir.path().join("sgform.state.json");
    let before = write_managed_c(&state_path);
    let parallelism = PARALLELISM.to_string();

    let after_lines = kill_point(k);
    let mut child = sgform_with_key(dir.path())
        .args([
            "apply",
            ".",
            "--auto-approve",
            "--parallelism",
            &parallelism,
        ])
        .args(["--rate-limit", "1000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = 0;
    if after_lines > 0 {
        use tokio::io::AsyncBufReadExt as _;
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            seen += usize::from(is_operation_line(&line));
            if seen == after_lines {
                break;
            }
        }
    }
    child.start_kill().unwrap(); // SIGKILL
    let status = child.wait().await.unwrap();
    let context = format!("kill {k}, after {seen} of {after_lines} operation lines ({status})");
    assert_eq!(seen, after_lines, "{context}: apply ended before the kill");

    // The state and its backup parse, and keep their lineage.
    let state = sgform::state::read(&state_path)
        .unwrap_or_else(|e| panic!("{context}: the state does not parse: {e}"));
    assert_eq!(state.lineage, before.lineage, "{context}");
    let backup = LocalFile::new(&state_path).backup_path();
    if backup.exists() {
        let old = sgform::state::read(&backup)
            .unwrap_or_else(|e| panic!("{context}: the backup does not parse: {e}"));
        assert_eq!(old.lineage, before.lineage, "{context}");
        // The previous version, or the current one when the kill came between the backup's
        // write and the state's.
        assert!(
            old.serial == state.serial - 1 || old.serial == state.serial,
            "{context}: backup serial {} beside state serial {}",
            old.serial,
            state.serial
        );
    }

    // The state is off from the cloud only by what was in flight: a join it records was made;
    // a C pair it no longer records was left; what it does not know yet is at most one
    // operation per slot of `--parallelism`.
    let world_after_kill = emu.world().await;
    emu.stop().await;
    let cloud = world_pairs(&world_after_kill);
    let recorded = state_pairs(&state);
    let (cloud_ab, recorded_ab) = (in_group(&cloud, &[A, B]), in_group(&recorded, &[A, B]));
    let (cloud_c, recorded_c) = (in_group(&cloud, &[C]), in_group(&recorded, &[C]));
    assert!(
        recorded_ab.is_subset(&cloud_ab),
        "{context}: the state records joins that were not made: {:?}",
        recorded_ab.difference(&cloud_ab).collect::<Vec<_>>()
    );
    assert!(
        cloud_c.is_subset(&recorded_c),
        "{context}: the state forgot pairs of C that still exist: {:?}",
        cloud_c.difference(&recorded_c).collect::<Vec<_>>()
    );
    let unknown =
        cloud_ab.difference(&recorded_ab).count() + recorded_c.difference(&cloud_c).count();
    assert!(
        unknown <= PARALLELISM,
        "{context}: {unknown} operations done but not recorded, more than were in flight"
    );

    // One more apply, on the same world without faults, converges; the plan after it is
    // empty and the state is the truth.
    let world = World::from_file(serde_json::from_value(world_after_kill).unwrap()).unwrap();
    let emu = Emu::start(world, emulator_options(k, Faults::none())).await;
    emulator_config(dir.path(), &emu.base, &body);
    let apply = sgform_with_key(dir.path())
        .args([
            "apply",
            ".",
            "--auto-approve",
            "--parallelism",
            &parallelism,
        ])
        .args(["--rate-limit", "1000"])
        .output()
        .await
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{context}: {}", text(&apply));
    let plan = sgform_with_key(dir.path())
        .args(["plan", ".", "--detailed-exitcode"])
        .output()
        .await
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{context}: {}", text(&plan));
    let cloud = world_pairs(&emu.world().await);
    let state = sgform::state::read(&state_path).unwrap();
    assert_eq!(state_pairs(&state), cloud, "{context}");
    assert_eq!(cloud.len(), 2 * N, "{context}: {cloud:?}");
    assert!(in_group(&cloud, &[C]).is_empty(), "{context}");
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_apply_leaves_a_state_that_parses_and_tells_the_truth_and_the_next_converges() {
    let points: Vec<usize> = (0..KILLS).map(kill_point).collect();
    assert!(
        points.windows(2).all(|w| w[0] < w[1]) && points.last() < Some(&(2 * OPERATIONS)),
        "{points:?}"
    );
    let mut runs = tokio::task::JoinSet::new();
    for k in 0..KILLS {
        runs.spawn(kill_and_converge(k));
    }
    while let Some(run) = runs.join_next().await {
        if let Err(e) = run {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
