//! What an operation costs as the state grows (issue 15): `sgform apply` of a saved plan of 100
//! and of 600 joins, once with a state that already manages 80,000 memberships and once with an
//! empty state, side by side in one run, for the local state file and (when a database is given)
//! the PostgreSQL backend. The real binary runs against a separate
//! `sgform emulator serve --latency-ms 30` process on 127.0.0.1, whose request log (`--log`) is
//! the witness of every call, as in `benches/apply.rs`.
//!
//! The fixed costs are taken out by difference: for each backend and state, the marginal cost of
//! a join is (t600 − t100) / 500, and what the issue asks is the ratio of those marginal costs,
//! big state over empty state: **at most 1.3** (before the journal, the local file's whole
//! document was rewritten per batch: 500 joins took 10.7 s with the big state against 1.8 s with
//! an empty one).
//!
//! Each measurement gets a fresh temporary directory, world, emulator and state:
//!
//! - **world**: the big state's B instances (each already in its managed group, B/1,000 groups of
//!   1,000) and the J join targets (each in one of 20 base groups, to join one of 20 other
//!   groups), all running in one VPC;
//! - **configuration**: one `membership` block whose `for_each` maps a `local` list of B + J
//!   `{instance, group}` objects (so loading the B declarations costs the same for J = 100 and
//!   J = 600 and cancels), a provider with `endpoint = "http://127.0.0.1:PORT"`, and for pg a
//!   `backend "pg" { schema_name = … }` block naming a schema of its own per measurement (the
//!   connection string comes from `SGFORM_PG_CONN_STR`; the schemas are left in the throwaway
//!   cluster);
//! - **state**: for a big state, a state document (a fresh lineage UUID, serial 1, the B entries
//!   `membership.bench["i-…"]`) written as `sgform.state.json` beside the configuration for local,
//!   or written elsewhere and `sgform state push`ed for pg; for an empty state, nothing;
//! - then `sgform plan --out p.plan` (not timed) and `sgform apply --json p.plan` (timed), under
//!   GNU time (`/usr/bin/time -f … -o FILE`), which reports the child's wall time, CPU time (user +
//!   system) and peak resident memory from its `wait4` rusage.
//!
//! After each apply the bench checks that it measured a successful one: exit 0, a final
//! `complete` event with J joined and nothing failed, every join pair with exactly one successful
//! JoinSecurityGroup in the emulator's log and nothing else joined, and the state afterwards
//! (the local file, or `sgform state pull` for pg) holding exactly the B + J entries. A failed
//! check panics.
//!
//! Columns: `wall`, `cpu` and `peak RSS` of the `sgform apply` process (medians over the
//! repetitions), and the load average (`/proc/loadavg`) before the first repetition: other builds
//! on the same cores slow everything here. The summary gives t100, t600, the marginal cost per
//! join (wall and CPU), the big/empty ratio of the marginal wall costs against the target, and
//! pg's figures over local's.
//!
//! Run: `cargo bench --bench state_growth` (local only), or with a database
//! `eval "$(bash .ci/pg-start)" && cargo bench --bench state_growth` (local and pg). Knobs:
//! `SGFORM_BENCH_BIG` (B, default 80,000), `SGFORM_BENCH_REPS` (repetitions per measurement,
//! the median is reported; default 3), `SGFORM_BENCH_BACKENDS=local,pg` (default both; pg runs
//! only when `SGFORM_PG_CONN_STR` is set and is otherwise skipped with a line saying so).
//! `SGFORM_BENCH_BIG=8000 SGFORM_BENCH_REPS=1 cargo bench --bench state_growth` is a quick run.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
// The bench reads its own knobs (documented above) and passes the database's address on.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

const DEFAULT_BIG: usize = 80_000;
const DEFAULT_REPS: usize = 3;
const JOINS: [usize; 2] = [100, 600];
const LATENCY_MS: u64 = 30;
const PER_BIG_GROUP: usize = 1_000;
const BASE_GROUPS: usize = 20;
const JOIN_GROUPS: usize = 20;
const TARGET_RATIO: f64 = 1.3;

const KEY_ID: &str = "LTAI5tStateGrowthKey01";
const KEY_SECRET: &str = "state-growth-bench-secret";
const ACCOUNT: &str = "1234567890123456";
const REGION: &str = "cn-hangzhou";
const VPC: &str = "vpc-bp1growthbench1";
const PG_ENV: &str = "SGFORM_PG_CONN_STR";

fn big_instance(n: usize) -> String {
    format!("i-bp1big{n:07}")
}

fn big_group(g: usize) -> String {
    format!("sg-bp1big{g:05}")
}

fn join_instance(n: usize) -> String {
    format!("i-bp1join{n:06}")
}

fn base_group(g: usize) -> String {
    format!("sg-bp1base{g:04}")
}

fn join_group(g: usize) -> String {
    format!("sg-bp1join{g:04}")
}

/// The big state's pairs (group, instance), already in place.
fn big_pairs(big: usize) -> Vec<(String, String)> {
    (0..big)
        .map(|i| (big_group(i / PER_BIG_GROUP), big_instance(i)))
        .collect()
}

/// The pairs to join: join instance `n` into join group `n % JOIN_GROUPS`.
fn join_pairs(joins: usize) -> Vec<(String, String)> {
    (0..joins)
        .map(|i| (join_group(i % JOIN_GROUPS), join_instance(i)))
        .collect()
}

fn world(big: usize, joins: usize) -> Value {
    let group = |id: String| {
        json!({ "id": id, "region": REGION, "owner": ACCOUNT, "vpc_id": VPC,
                "name": id, "rule_count": 10 })
    };
    let groups: Vec<Value> = (0..big.div_ceil(PER_BIG_GROUP))
        .map(big_group)
        .chain((0..BASE_GROUPS).map(base_group))
        .chain((0..JOIN_GROUPS).map(join_group))
        .map(group)
        .collect();
    let instance = |id: String, group: String| {
        json!({ "id": id, "region": REGION, "owner": ACCOUNT, "vpc_id": VPC,
                "status": "Running", "security_group_ids": [group] })
    };
    let instances: Vec<Value> = big_pairs(big)
        .into_iter()
        .map(|(g, i)| instance(i, g))
        .chain((0..joins).map(|i| instance(join_instance(i), base_group(i % BASE_GROUPS))))
        .collect();
    json!({
        "accounts": [{ "id": ACCOUNT, "access_keys": [{ "id": KEY_ID, "secret": KEY_SECRET }] }],
        "vpcs": [{ "id": VPC, "region": REGION, "owner": ACCOUNT }],
        "security_groups": groups,
        "instances": instances,
    })
}

fn configuration(endpoint: &str, pairs: &[(String, String)], schema: Option<&str>) -> String {
    let mut hcl = String::new();
    if let Some(schema) = schema {
        let _ = writeln!(hcl, "backend \"pg\" {{\n  schema_name = \"{schema}\"\n}}\n");
    }
    let _ = write!(
        hcl,
        "provider \"alicloud\" {{\n  region   = \"{REGION}\"\n  endpoint = \"{endpoint}\"\n}}\n\nlocals {{\n  joins = [\n"
    );
    for (group, id) in pairs {
        let _ = writeln!(hcl, "    {{ instance = \"{id}\", group = \"{group}\" }},");
    }
    hcl.push_str(
        "  ]\n}\n\nmembership \"bench\" {\n  for_each          = { for j in local.joins : j.instance => j.group }\n  security_group_id = each.value\n  instance_id       = each.key\n}\n",
    );
    hcl
}

fn address(instance: &str) -> String {
    format!("membership.bench[\"{instance}\"]")
}

/// The state document of the big state: a fresh lineage, serial 1, the `big` entries.
fn state_document(big: usize) -> String {
    let memberships: Vec<Value> = big_pairs(big)
        .into_iter()
        .map(|(g, i)| {
            json!({ "address": address(&i), "provider": null, "region": REGION,
                    "security_group_id": g, "target": i })
        })
        .collect();
    json!({
        "version": 1,
        "lineage": uuid::Uuid::new_v4().to_string(),
        "serial": 1,
        "memberships": memberships,
    })
    .to_string()
}

/// A `sgform emulator serve` child process and its request log.
struct Emulator {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Emulator {
    fn start(dir: &Path, big: usize, joins: usize) -> Self {
        let world_path = dir.join("world.json");
        std::fs::write(&world_path, world(big, joins).to_string()).unwrap();
        let log = dir.join("emulator.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_sgform"))
            .env_clear()
            .args([
                "emulator",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--seed",
                "1",
            ])
            .args(["--latency-ms", &LATENCY_MS.to_string()])
            .arg("--world")
            .arg(&world_path)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("failed to start `sgform emulator serve`");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the emulator printed {line:?}"))
            .to_owned();
        Self { child, base, log }
    }

    /// Panics unless every pair got exactly one successful JoinSecurityGroup, none was sent
    /// again once it had succeeded, and nothing else was joined.
    fn check_joined_once(&self, expected: &[(String, String)], what: &str) {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut joins: HashMap<(String, String), (u32, u32)> = HashMap::new();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["action"] != "JoinSecurityGroup" {
                continue;
            }
            let param = |k: &str| v["params"][k].as_str().unwrap_or_default().to_owned();
            let slot = joins
                .entry((param("SecurityGroupId"), param("InstanceId")))
                .or_default();
            if v["code"] == "OK" {
                slot.0 += 1;
            } else if slot.0 > 0 {
                slot.1 += 1;
            }
        }
        for pair in expected {
            let (ok, again) = joins.get(pair).copied().unwrap_or_default();
            assert_eq!(ok, 1, "{what}: {pair:?} joined {ok} times");
            assert_eq!(again, 0, "{what}: {pair:?} sent again after it succeeded");
        }
        assert_eq!(
            joins.len(),
            expected.len(),
            "{what}: joins of unplanned pairs"
        );
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Local,
    Pg,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Local => "local",
            Backend::Pg => "pg",
        }
    }
}

/// What one apply cost.
#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
}

/// The same measurement's samples, and the load before the first.
struct Row {
    backend: Backend,
    big: usize,
    joins: usize,
    samples: Vec<Sample>,
    load: String,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl Row {
    fn wall(&self) -> f64 {
        median(self.samples.iter().map(|s| s.wall).collect())
    }
    fn cpu(&self) -> f64 {
        median(self.samples.iter().map(|s| s.cpu).collect())
    }
    fn rss_mib(&self) -> f64 {
        median(self.samples.iter().map(|s| s.rss_kib as f64).collect()) / 1024.0
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// The environment every sgform child runs with: nothing of the bench's but the database's
/// address.
fn sgform(home: &Path, pg: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sgform"));
    sgform_env(&mut cmd, home, pg);
    cmd
}

fn sgform_env(cmd: &mut Command, home: &Path, pg: Option<&str>) {
    cmd.env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET);
    if let Some(conn) = pg {
        cmd.env(PG_ENV, conn);
    }
}

fn expect_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One measurement: a fresh world, configuration and state, a saved plan, the timed apply, the
/// checks.
fn measure(backend: Backend, big: usize, joins: usize, pg: Option<&str>, seq: usize) -> Sample {
    let what = format!("{} big={big} joins={joins} #{seq}", backend.name());
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(dir.path(), big, joins);
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let schema = format!("sgform_bench_{}_{seq}", std::process::id());
    let pg = if backend == Backend::Pg { pg } else { None };
    let mut pairs = big_pairs(big);
    let joining = join_pairs(joins);
    pairs.extend(joining.iter().cloned());
    std::fs::write(
        config.join("main.hcl"),
        configuration(&emu.base, &pairs, pg.map(|_| schema.as_str())),
    )
    .unwrap();
    let local_state = config.join("sgform.state.json");
    if big > 0 {
        match backend {
            Backend::Local => std::fs::write(&local_state, state_document(big)).unwrap(),
            Backend::Pg => {
                let seed = dir.path().join("seed.state.json");
                std::fs::write(&seed, state_document(big)).unwrap();
                let out = sgform(&home, pg)
                    .args(["state", "push"])
                    .arg(&seed)
                    .arg(&config)
                    .output()
                    .unwrap();
                expect_success(&out, &format!("{what}: state push"));
            }
        }
    }

    let plan_file = dir.path().join("p.plan");
    let out = sgform(&home, pg)
        .arg("plan")
        .arg("--out")
        .arg(&plan_file)
        .arg(&config)
        .output()
        .unwrap();
    expect_success(&out, &format!("{what}: plan"));

    // GNU time reports the child's rusage (from wait4) into its own file, apart from its output.
    let times = dir.path().join("time.txt");
    let mut cmd = Command::new("/usr/bin/time");
    sgform_env(&mut cmd, &home, pg);
    cmd.args(["-f", "%e %U %S %M", "-o"])
        .arg(&times)
        .arg(env!("CARGO_BIN_EXE_sgform"))
        .args(["apply", "--json"])
        .arg(&plan_file);
    let started = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("failed to run /usr/bin/time (GNU time; `apt-get install time`): {e}")
    });
    let outer_wall = started.elapsed().as_secs_f64();
    expect_success(&out, &format!("{what}: apply"));
    let t = std::fs::read_to_string(&times).unwrap();
    let f: Vec<&str> = t
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(f.len(), 4, "{what}: /usr/bin/time wrote {t:?}");
    let num = |s: &str| s.parse::<f64>().unwrap();
    let sample = Sample {
        // GNU time's %e has 10 ms resolution; the bench's own clock is as good and finer.
        wall: outer_wall,
        cpu: num(f[1]) + num(f[2]),
        rss_kib: f[3].parse().unwrap(),
    };

    // The apply did what it was measured for.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Value = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"].is_string())
        .unwrap_or_else(|| panic!("{what}: no JSON event from apply"));
    assert_eq!(last["type"], "complete", "{what}: {last}");
    assert_eq!(
        last["counts"]["joined"].as_u64(),
        Some(joins as u64),
        "{what}: {last}"
    );
    assert_eq!(last["counts"]["failed"].as_u64(), Some(0), "{what}: {last}");
    emu.check_joined_once(&joining, &what);
    drop(emu);
    let state_text = match backend {
        Backend::Local => std::fs::read_to_string(&local_state).unwrap(),
        Backend::Pg => {
            let out = sgform(&home, pg)
                .args(["state", "pull"])
                .arg(&config)
                .output()
                .unwrap();
            expect_success(&out, &format!("{what}: state pull"));
            String::from_utf8(out.stdout).unwrap()
        }
    };
    let state: Value = serde_json::from_str(&state_text).unwrap();
    let held: BTreeSet<(String, String, String)> = state["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (s("address"), s("security_group_id"), s("target"))
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = pairs
        .iter()
        .map(|(g, i)| (address(i), g.clone(), i.clone()))
        .collect();
    assert!(
        held == expected,
        "{what}: the state holds {} entries, {} expected ({} missing)",
        held.len(),
        expected.len(),
        expected.difference(&held).count()
    );
    sample
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let big = env_usize("SGFORM_BENCH_BIG", DEFAULT_BIG);
    let reps = env_usize("SGFORM_BENCH_REPS", DEFAULT_REPS).max(1);
    let picked = std::env::var("SGFORM_BENCH_BACKENDS").unwrap_or_else(|_| "local,pg".into());
    let pg_conn = std::env::var(PG_ENV).ok().filter(|s| !s.is_empty());
    let mut backends = Vec::new();
    for name in picked.split(',').map(str::trim) {
        match name {
            "local" => backends.push(Backend::Local),
            "pg" if pg_conn.is_some() => backends.push(Backend::Pg),
            "pg" => println!(
                "pg: skipped, {PG_ENV} is not set (start a throwaway cluster with \
                 `eval \"$(bash .ci/pg-start)\"`, then run this bench again; `bash .ci/pg-stop` \
                 stops it)"
            ),
            other => panic!("unknown backend `{other}` (local, pg)"),
        }
    }
    println!(
        "state_growth: emulator latency {LATENCY_MS} ms; big state {big} memberships; joins {JOINS:?}; \
         {reps} repetition(s), medians; {} cores; load average {}",
        std::thread::available_parallelism().map_or(0, |p| p.get()),
        loadavg()
    );

    let mut rows: Vec<Row> = Vec::new();
    let mut seq = 0;
    for &backend in &backends {
        for state in [0, big] {
            for joins in JOINS {
                let load = loadavg();
                let mut samples = Vec::new();
                for _ in 0..reps {
                    seq += 1;
                    samples.push(measure(backend, state, joins, pg_conn.as_deref(), seq));
                }
                let row = Row {
                    backend,
                    big: state,
                    joins,
                    samples,
                    load,
                };
                println!(
                    "  {} state={} joins={}: wall {} s, cpu {} s, peak RSS {} MiB (load {})",
                    backend.name(),
                    row.big,
                    row.joins,
                    row.samples
                        .iter()
                        .map(|s| format!("{:.2}", s.wall))
                        .collect::<Vec<_>>()
                        .join("/"),
                    row.samples
                        .iter()
                        .map(|s| format!("{:.2}", s.cpu))
                        .collect::<Vec<_>>()
                        .join("/"),
                    row.samples
                        .iter()
                        .map(|s| format!("{:.0}", s.rss_kib as f64 / 1024.0))
                        .collect::<Vec<_>>()
                        .join("/"),
                    row.load
                );
                rows.push(row);
            }
        }
    }

    println!("\n| backend | state | joins | wall | cpu | peak RSS | load before |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.2} s | {:.2} s | {:.0} MiB | {} |",
            r.backend.name(),
            r.big,
            r.joins,
            r.wall(),
            r.cpu(),
            r.rss_mib(),
            r.load
        );
    }

    let find = |b: Backend, state: usize, joins: usize| {
        rows.iter()
            .find(|r| r.backend == b && r.big == state && r.joins == joins)
            .unwrap()
    };
    let span = (JOINS[1] - JOINS[0]) as f64;
    // Per backend and state: (marginal wall, marginal cpu) per join, in seconds.
    let marginal = |b: Backend, state: usize| {
        let (lo, hi) = (find(b, state, JOINS[0]), find(b, state, JOINS[1]));
        ((hi.wall() - lo.wall()) / span, (hi.cpu() - lo.cpu()) / span)
    };
    println!(
        "\n| backend | state | t{} | t{} | marginal wall / join | marginal cpu / join |",
        JOINS[0], JOINS[1]
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for &b in &backends {
        for state in [0, big] {
            let (w, c) = marginal(b, state);
            println!(
                "| {} | {} | {:.2} s | {:.2} s | {:.2} ms | {:.2} ms |",
                b.name(),
                state,
                find(b, state, JOINS[0]).wall(),
                find(b, state, JOINS[1]).wall(),
                w * 1e3,
                c * 1e3
            );
        }
    }
    println!();
    for &b in &backends {
        let (empty, _) = marginal(b, 0);
        let (full, _) = marginal(b, big);
        let ratio = full / empty;
        println!(
            "{}: marginal cost big/empty = {:.2} (target ≤ {TARGET_RATIO}): {}",
            b.name(),
            ratio,
            if empty <= 0.0 || full <= 0.0 {
                // A marginal cost at or below zero is noise larger than the joins' cost.
                "inconclusive (a marginal cost ≤ 0: noise exceeds the joins' cost; raise SGFORM_BENCH_REPS)"
            } else if ratio <= TARGET_RATIO {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    if backends.contains(&Backend::Local) && backends.contains(&Backend::Pg) {
        for state in [0, big] {
            for joins in JOINS {
                let (l, p) = (
                    find(Backend::Local, state, joins),
                    find(Backend::Pg, state, joins),
                );
                println!(
                    "pg / local, state={state} joins={joins}: wall {:.2}×, cpu {:.2}×, peak RSS {:.2}×",
                    p.wall() / l.wall(),
                    p.cpu() / l.cpu(),
                    p.rss_mib() / l.rss_mib()
                );
            }
            let ((lw, _), (pw, _)) = (
                marginal(Backend::Local, state),
                marginal(Backend::Pg, state),
            );
            println!(
                "pg / local, state={state}: marginal wall per join {:.2} ms vs {:.2} ms ({:.2}×)",
                pw * 1e3,
                lw * 1e3,
                pw / lw
            );
        }
    }
}
