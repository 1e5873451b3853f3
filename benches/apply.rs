//! `sgform apply` end to end, as a user runs it: the real binary (`apply --auto-approve --json`)
//! against a separate `sgform emulator serve --latency-ms 30` process on 127.0.0.1, with the
//! emulator's request log (`--log`) as the witness of every call. Issue 8's scenarios, side by
//! side in one run:
//!
//! - **a**: N joins (default 2,000), `--rate-limit 100` on both sides (the emulator throttles
//!   above 100 calls per account and action per second; sgform paces every request, its
//!   refresh Describe calls included, at 100/s). Target: wall time within 15% of the ideal
//!   N / 100 s, no failed operation.
//! - **b**: the emulator limiting at 100/s and sgform not told: no `--rate-limit` and no
//!   provider `rate_limit`, so the client starts at its default ceiling
//!   (`cloud::client::DEFAULT_RATE_LIMIT`, 1,000/s: parallelism and latency set the pace) and
//!   the adaptive limiter has to find the budget from the throttling answers. Reported: wall
//!   time and throttled answers; target: no failed operation.
//! - **c**: N/2 joins (default 1,000) at `--parallelism 10` against `benches/sdk_join_loop.py`,
//!   the sequential loop of one JoinSecurityGroup call per pair that a user writes with the
//!   official Python SDK (`aliyun-python-sdk-core`), each against a fresh emulator with no rate
//!   limit, sgform with its defaults. Target: the SDK loop's wall time ≥ 8× sgform's.
//! - **client**: the same calls without the binary, through one `sgform::cloud::Client` from 10
//!   tasks (a: 100/100, b: emulator 100 and client 1000, c: no emulator limit and client
//!   1000): no refresh, no plan, no state writes, so these rows show what the client and its
//!   rate limiter cost apart from the rest of `apply`.
//!
//! Each scenario gets a fresh temporary directory, world and emulator. The world (written by
//! this bench): N running instances in one VPC, each in one of 20 base groups; the
//! configuration: one `membership` block whose `for_each` maps a `local` list of N
//! `{instance, group}` objects to one of 20 other groups, a provider with
//! `endpoint = "http://127.0.0.1:PORT"`, and the world's key in
//! `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (the binary runs with an
//! otherwise empty environment and a temporary `HOME`). After each apply the bench checks from
//! the emulator's log that every pair got exactly one successful JoinSecurityGroup and none was
//! sent again once it had succeeded.
//!
//! Columns: `wall` is the whole `sgform apply` process (load, refresh, plan, preview, the
//! operations, state writes); `ops` is the executor alone (the `elapsed_s` of the final JSON
//! event) and `plan` the rest (`wall − ops`: start, load, the refresh's Describe calls, plan);
//! `ideal` is N / rate for the joins; `failed` counts failed operations (for the SDK loop,
//! calls that ended in an error); `throttled` and `calls` count the emulator's log lines
//! (answers with a `Throttling*` code, and every request including retries and refresh calls).
//! The load average (from `/proc/loadavg`) before each scenario is printed beside it: other
//! builds on the same cores slow everything here.
//!
//! Run: `bash .ci/sdk-setup` once (the SDK for c, into `target/sdk`), then
//! `cargo bench --bench apply`. Cargo builds the `sgform` binary with the bench profile and
//! passes its path in `CARGO_BIN_EXE_sgform`. `SGFORM_BENCH_N=200 cargo bench --bench apply`
//! runs a quick, smaller version (c uses N/2); `SGFORM_BENCH_SCENARIOS=a,c` picks scenarios
//! (`a`, `b`, `c`, `client`; default all).
//! `SGFORM_BENCH_STATE_DIR=/dev/shm` keeps the state file there (`--state`) instead of beside
//! the configuration: with a tmpfs it shows what the state writes' `fsync`s cost.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
// The bench reads its own knobs (documented above) and passes PATH on, not sgform's environment.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const DEFAULT_N: usize = 2_000;
const LATENCY_MS: u64 = 30;
const RATE: u32 = 100;
const BASE_GROUPS: usize = 20;
const JOIN_GROUPS: usize = 20;

const KEY_ID: &str = "LTAI5tApplyBenchKey001";
const KEY_SECRET: &str = "apply-bench-secret";
const ACCOUNT: &str = "1234567890123456";
const REGION: &str = "cn-hangzhou";
const VPC: &str = "vpc-bp1applybench01";

fn instance(n: usize) -> String {
    format!("i-bp1apply{n:06}")
}

fn base_group(g: usize) -> String {
    format!("sg-bp1base{g:04}")
}

fn join_group(g: usize) -> String {
    format!("sg-bp1join{g:04}")
}

/// The pairs to join: instance `n` into join group `n % JOIN_GROUPS`.
fn pairs(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (join_group(i % JOIN_GROUPS), instance(i)))
        .collect()
}

fn world(n: usize) -> Value {
    let groups: Vec<Value> = (0..BASE_GROUPS)
        .map(base_group)
        .chain((0..JOIN_GROUPS).map(join_group))
        .map(|id| {
            json!({ "id": id, "region": REGION, "owner": ACCOUNT, "vpc_id": VPC,
                    "name": id, "rule_count": 10 })
        })
        .collect();
    let instances: Vec<Value> = (0..n)
        .map(|i| {
            json!({ "id": instance(i), "region": REGION, "owner": ACCOUNT, "vpc_id": VPC,
                    "status": "Running", "security_group_ids": [base_group(i % BASE_GROUPS)] })
        })
        .collect();
    json!({
        "accounts": [{ "id": ACCOUNT, "access_keys": [{ "id": KEY_ID, "secret": KEY_SECRET }] }],
        "vpcs": [{ "id": VPC, "region": REGION, "owner": ACCOUNT }],
        "security_groups": groups,
        "instances": instances,
    })
}

fn configuration(endpoint: &str, n: usize) -> String {
    let mut hcl = format!(
        "provider \"alicloud\" {{\n  region   = \"{REGION}\"\n  endpoint = \"{endpoint}\"\n}}\n\nlocals {{\n  joins = [\n"
    );
    for (group, id) in pairs(n) {
        let _ = writeln!(hcl, "    {{ instance = \"{id}\", group = \"{group}\" }},");
    }
    hcl.push_str(
        "  ]\n}\n\nmembership \"bench\" {\n  for_each          = { for j in local.joins : j.instance => j.group }\n  security_group_id = each.value\n  instance_id       = each.key\n}\n",
    );
    hcl
}

/// A `sgform emulator serve` child process and what it writes.
struct Emulator {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Emulator {
    fn start(dir: &Path, n: usize, rate_limit: Option<u32>) -> Self {
        let world_path = dir.join("world.json");
        std::fs::write(&world_path, world(n).to_string()).unwrap();
        let log = dir.join("emulator.jsonl");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sgform"));
        cmd.env_clear()
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
            .stderr(Stdio::inherit());
        if let Some(rate) = rate_limit {
            cmd.args(["--rate-limit", &rate.to_string()]);
        }
        let mut child = cmd
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

    /// Requests so far by action and answer code, from the log.
    fn log_counts(&self) -> LogCounts {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut counts = LogCounts::default();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let action = v["action"].as_str().unwrap_or_default().to_owned();
            let code = v["code"].as_str().unwrap_or_default().to_owned();
            counts.total += 1;
            if code.starts_with("Throttling") {
                counts.throttled += 1;
            }
            if action == "JoinSecurityGroup" {
                let pair = (
                    v["params"]["SecurityGroupId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    v["params"]["InstanceId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
                let slot = counts.joins.entry(pair).or_default();
                if code == "OK" {
                    slot.0 += 1;
                } else if slot.0 > 0 {
                    // Sent again after it had succeeded.
                    slot.1 += 1;
                }
            }
            *counts.by_action_code.entry((action, code)).or_default() += 1;
        }
        counts
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Default)]
struct LogCounts {
    total: u64,
    throttled: u64,
    /// Per (group, instance): successful joins, and joins sent after one had succeeded.
    joins: HashMap<(String, String), (u32, u32)>,
    by_action_code: BTreeMap<(String, String), u64>,
}

impl LogCounts {
    /// Panics unless every pair was joined exactly once and nothing else was joined.
    fn check_exactly_once(&self, expected: &[(String, String)]) {
        for pair in expected {
            let (ok, again) = self.joins.get(pair).copied().unwrap_or_default();
            assert_eq!(ok, 1, "{pair:?} joined {ok} times");
            assert_eq!(again, 0, "{pair:?} sent again after it succeeded");
        }
        assert_eq!(self.joins.len(), expected.len(), "joins of unplanned pairs");
    }

    fn summary(&self) -> String {
        self.by_action_code
            .iter()
            .map(|((a, c), n)| format!("{a}/{c}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One row of the table.
struct Row {
    scenario: String,
    n: usize,
    wall: Duration,
    ops: Option<Duration>,
    ideal: Option<Duration>,
    failed: u64,
    throttled: u64,
    calls: u64,
    retries: Option<u64>,
    load: String,
    detail: String,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// Runs `sgform apply --auto-approve --json` on a fresh world of `n` targets.
fn sgform_apply(
    scenario: &str,
    n: usize,
    emulator_rate: Option<u32>,
    client_rate: Option<u32>,
) -> Row {
    let load = loadavg();
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(dir.path(), n, emulator_rate);
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(config.join("main.hcl"), configuration(&emu.base, n)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sgform"));
    cmd.env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", &home)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
        .args(["apply", "--auto-approve", "--json", "--parallelism", "10"]);
    if let Some(rate) = client_rate {
        cmd.args(["--rate-limit", &rate.to_string()]);
    }
    // Elsewhere (e.g. on tmpfs) only when asked: by default the state sits beside the
    // configuration, on the disk a user's would.
    let state_dir = std::env::var_os("SGFORM_BENCH_STATE_DIR")
        .map(|d| tempfile::tempdir_in(d).expect("SGFORM_BENCH_STATE_DIR must be a directory"));
    if let Some(d) = &state_dir {
        cmd.arg("--state").arg(d.path().join("sgform.state.json"));
    }
    cmd.arg(&config);
    let started = Instant::now();
    let out = cmd.output().expect("failed to run `sgform apply`");
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Value = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| {
            matches!(
                v["type"].as_str(),
                Some("complete" | "failed" | "cancelled")
            )
        })
        .unwrap_or_else(|| {
            panic!(
                "{scenario}: no final event; exit {:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let counts = &last["counts"];
    let joined = counts["joined"].as_u64().unwrap();
    let failed = counts["failed"].as_u64().unwrap()
        + counts["skipped"].as_u64().unwrap()
        + counts["not_started"].as_u64().unwrap();
    let log = emu.log_counts();
    drop(emu);
    if out.status.success() {
        assert_eq!(joined, n as u64, "{scenario}: {last}");
        log.check_exactly_once(&pairs(n));
    }
    Row {
        scenario: scenario.to_owned(),
        n,
        wall,
        ops: counts["elapsed_s"].as_f64().map(Duration::from_secs_f64),
        ideal: Some(Duration::from_secs_f64(n as f64 / f64::from(RATE))),
        failed,
        throttled: log.throttled,
        calls: log.total,
        retries: counts["retries"].as_u64(),
        load,
        detail: format!(
            "exit {}; sgform: {} API calls in the operations; emulator: {}",
            out.status
                .code()
                .map_or("signal".to_owned(), |c| c.to_string()),
            counts["api_calls"],
            log.summary()
        ),
    }
}

/// The client alone, without the binary: `n` JoinSecurityGroup calls through one
/// `sgform::cloud::Client` (its rate limiter, retries and adaptive pacing, as `apply` builds it)
/// from `parallelism` tasks, on a fresh world. No refresh, no plan, no state writes: the rows
/// it makes tell what the client costs apart from the rest of `apply`.
fn client_only(
    scenario: &str,
    n: usize,
    emulator_rate: Option<u32>,
    client_rate: Option<u32>,
    parallelism: usize,
) -> Row {
    use sgform::cloud::{Client, ClientConfig, Credentials, Secret};
    use std::sync::{Arc, Mutex};

    let load = loadavg();
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(dir.path(), n, emulator_rate);
    let mut config = ClientConfig::new(
        emu.base.clone(),
        sgform::ids::RegionId::parse(REGION).unwrap(),
        Credentials::new(KEY_ID, Secret::new(KEY_SECRET)),
    );
    config.rate_limit = client_rate.map(f64::from);
    let client = Client::new(config).unwrap();
    let queue = Arc::new(Mutex::new(pairs(n)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let failed: u64 = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..parallelism {
            let (client, queue) = (client.clone(), queue.clone());
            tasks.spawn(async move {
                let mut failed = 0;
                loop {
                    let Some((group, instance)) = queue.lock().unwrap().pop() else {
                        return failed;
                    };
                    let params = [
                        ("SecurityGroupId".to_owned(), group),
                        ("InstanceId".to_owned(), instance),
                    ];
                    if let Err(e) = client.call_mutation("JoinSecurityGroup", &params).await {
                        println!("  {e}");
                        failed += 1;
                    }
                }
            });
        }
        tasks.join_all().await.into_iter().sum()
    });
    let wall = started.elapsed();
    let stats = client.stats();
    let log = emu.log_counts();
    drop(emu);
    if failed == 0 {
        log.check_exactly_once(&pairs(n));
    }
    Row {
        scenario: scenario.to_owned(),
        n,
        wall,
        ops: None,
        ideal: emulator_rate.map(|rate| Duration::from_secs_f64(n as f64 / f64::from(rate))),
        failed,
        throttled: log.throttled,
        calls: log.total,
        retries: Some(stats.retries),
        load,
        detail: format!(
            "client: {} calls, {} throttled; emulator: {}",
            stats.calls,
            stats.throttled,
            log.summary()
        ),
    }
}

/// Runs `benches/sdk_join_loop.py` on a fresh world of `n` targets.
fn sdk_loop(n: usize) -> Row {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sdk = root.join("target/sdk/python");
    assert!(
        sdk.join("aliyunsdkcore").exists(),
        "aliyun-python-sdk-core is not installed at `{}`: run `bash .ci/sdk-setup` first",
        sdk.display()
    );
    let load = loadavg();
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(dir.path(), n, None);
    let pairs_file = dir.path().join("pairs.txt");
    let text: String = pairs(n).iter().map(|(g, i)| format!("{g} {i}\n")).collect();
    std::fs::write(&pairs_file, text).unwrap();
    let started = Instant::now();
    // PATH is kept so `python3` is the interpreter the SDK was installed for (`.ci/sdk-setup`
    // runs the same one).
    let out = Command::new("python3")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PYTHONPATH", &sdk)
        .env("HOME", dir.path())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
        .arg(root.join("benches/sdk_join_loop.py"))
        .arg(emu.base.trim_start_matches("http://"))
        .arg(&pairs_file)
        .output()
        .expect("failed to run python3");
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "sdk_join_loop.py: {e}; exit {:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let log = emu.log_counts();
    drop(emu);
    let failed = result["failed"].as_u64().unwrap();
    if failed == 0 {
        log.check_exactly_once(&pairs(n));
    }
    Row {
        scenario: "c SDK loop".to_owned(),
        n,
        wall,
        ops: result["elapsed_s"].as_f64().map(Duration::from_secs_f64),
        ideal: None,
        failed,
        throttled: log.throttled,
        calls: log.total,
        retries: None,
        load,
        detail: format!("python: {result}; emulator: {}", log.summary()),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    let n: usize = std::env::var("SGFORM_BENCH_N")
        .ok()
        .map(|v| v.parse().expect("SGFORM_BENCH_N must be a number"))
        .unwrap_or(DEFAULT_N);
    let picked = std::env::var("SGFORM_BENCH_SCENARIOS").unwrap_or_else(|_| "a,b,c,client".into());
    let picked: Vec<&str> = picked.split(',').map(str::trim).collect();
    let c_n = (n / 2).max(1);
    println!(
        "apply: emulator latency {LATENCY_MS} ms; N = {n} (c: {c_n}); {} cores; load average {}",
        std::thread::available_parallelism().map_or(0, |p| p.get()),
        loadavg()
    );

    let mut rows = Vec::new();
    for scenario in picked {
        match scenario {
            "a" => rows.push(sgform_apply("a rate 100/100", n, Some(RATE), Some(RATE))),
            "b" => rows.push(sgform_apply("b emu 100, not told", n, Some(RATE), None)),
            "c" => {
                let mut sg = sgform_apply("c sgform p10", c_n, None, None);
                sg.ideal = None;
                rows.push(sg);
                rows.push(sdk_loop(c_n));
            }
            "client" => {
                rows.push(client_only("a client only", n, Some(RATE), Some(RATE), 10));
                println!(
                    "  {}: {}",
                    rows.last().unwrap().scenario,
                    rows.last().unwrap().detail
                );
                rows.push(client_only("b client only", n, Some(RATE), Some(1000), 10));
                println!(
                    "  {}: {}",
                    rows.last().unwrap().scenario,
                    rows.last().unwrap().detail
                );
                rows.push(client_only("c client only", c_n, None, Some(1000), 10));
            }
            other => panic!("unknown scenario `{other}` (a, b, c, client)"),
        }
        let row = rows.last().unwrap();
        println!("  {}: {} (load {})", row.scenario, row.detail, row.load);
    }

    println!(
        "\n| scenario | N | wall | ops | plan | ideal | wall/ideal | failed | throttled | calls | retries | load before |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for r in &rows {
        let ratio = r.ideal.map_or("".to_owned(), |i| {
            format!("{:.3}", r.wall.as_secs_f64() / i.as_secs_f64())
        });
        let plan = match (r.ops, r.retries) {
            (Some(ops), Some(_)) => secs(r.wall.saturating_sub(ops)),
            _ => String::new(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.n,
            secs(r.wall),
            r.ops.map_or(String::new(), secs),
            plan,
            r.ideal.map_or(String::new(), secs),
            ratio,
            r.failed,
            r.throttled,
            r.calls,
            r.retries.map_or(String::new(), |x| x.to_string()),
            r.load
        );
    }
    let sdk_wall = rows
        .iter()
        .find(|r| r.scenario == "c SDK loop")
        .map(|r| r.wall);
    for r in &rows {
        if let Some(sdk) = sdk_wall
            && r.scenario.starts_with("c ")
            && r.scenario != "c SDK loop"
        {
            println!(
                "{}: SDK loop wall / this wall = {:.1}× (target ≥ 8×)",
                r.scenario,
                sdk.as_secs_f64() / r.wall.as_secs_f64()
            );
        }
        if let Some(ideal) = r.ideal
            && r.scenario.starts_with("a ")
        {
            let off = r.wall.as_secs_f64() / ideal.as_secs_f64() - 1.0;
            println!(
                "{}: wall {:+.1}% of the ideal N / {RATE} (target within 15%)",
                r.scenario,
                off * 100.0
            );
        }
        if r.failed > 0 {
            println!("{}: {} failed operations (target 0)", r.scenario, r.failed);
        }
    }
}
