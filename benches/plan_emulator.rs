//! `sgform plan` at fleet scale against the emulator over loopback, the way the CLI runs it:
//! `config::load` of a directory → one client per provider at its `endpoint` →
//! `ops::plan::refresh_and_plan` (the refresh: data sources, `Config::expand`, the batched
//! Describe rounds; then `plan::plan`) → the text preview. The emulator runs in-process with 30 ms of latency per answer (the
//! network floor of a real region); it shares the two cores with the planner.
//!
//! The world: 2,000 running instances and 500 secondary ENIs (attached, `InUse`) in one VPC,
//! 100 normal groups; every target is in one base group, a tenth of the instances also in
//! their env group already. The configuration: per role, a `data "instances"` and a
//! `data "network_interfaces"` filtered by tag; `local`s that concatenate them and map tag
//! values to groups; and eight `for_each` blocks (role, team, zone and env group, for instances
//! and for ENIs): 10,000 declared memberships, 9,800 joins and 200 adoptions, every target
//! ending at the cap of 5 groups.
//!
//! Run: `cargo bench --bench plan_emulator [-- INSTANCES [RUNS]]`: the fleet size (default 2,000
//! instances; ENIs are a quarter of it, memberships four per target, groups stay 100) and the
//! runs per pacing (default 1); `--configured-only` skips the other two pacings. `--literal`
//! declares the same memberships one block each with literal IDs and no data sources (a
//! configuration generated from an inventory): the same plan, read with exactly
//! ⌈instances/100⌉ + ⌈ENIs/100⌉ + ⌈groups/100⌉ calls. Smaller sizes show how the time grows.
//!
//! While `Config::expand` copies the whole evaluation context (every local and every data
//! source record) for each declaration, the `for_each` configuration grows quadratically with
//! the fleet (about 2 s at 1,250 memberships, 9 s at 2,500, many minutes at 10,000) and
//! `--literal` (a context of almost nothing) shows what the rest costs.
//! Issue 7's target: the 10,000-membership plan under 1 s wall on a 2-core machine, within the
//! call budget ⌈instances/100⌉ + ⌈ENIs/100⌉ + ⌈groups/100⌉ + the data-source and group-member
//! pages.
//!
//! Pacing: the benchmark measures the configuration as a fleet operator would write it, with
//! the provider's `rate_limit` attribute (`rate_limit = 100`), and reports the other pacings
//! beside it: none at all (the network floor) and the client's default ceiling
//! (`cloud::client::DEFAULT_RATE_LIMIT`, bursts of 5).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sgform::cloud::{Client, ClientConfig, Credentials, Secret};
use sgform::config::{self, Config, Inputs};
use sgform::emulator::{self, Options, World};
use sgform::plan::PlanOptions;
use sgform::plan::refresh::{self, Clients};
use sgform::plan::render::{self, TextOptions};
use sgform::state::State;

const DEFAULT_INSTANCES: usize = 2_000;
const GROUPS: usize = 100;
const LATENCY_MS: u64 = 30;

const KEY_ID: &str = "LTAI5tBenchmarkKey0001";
const KEY_SECRET: &str = "benchmark-secret";
const ACCOUNT: &str = "1234567890123456";
const REGION: &str = "cn-hangzhou";
const VPC: &str = "vpc-bp1bench0000001";

const ROLES: [&str; 10] = [
    "web", "api", "db", "cache", "worker", "batch", "queue", "search", "auth", "edge",
];
const TEAMS: usize = 40;
const ZONES: usize = 30;
const ENVS: [&str; 2] = ["prod", "staging"];

/// Groups 0..18 are base groups; then one per role, team, zone and env (100 in all).
const BASE_GROUPS: usize = 18;
const ROLE_BASE: usize = BASE_GROUPS;
const TEAM_BASE: usize = ROLE_BASE + ROLES.len();
const ZONE_BASE: usize = TEAM_BASE + TEAMS;
const ENV_BASE: usize = ZONE_BASE + ZONES;
const _: () = assert!(ENV_BASE + ENVS.len() == GROUPS);

fn group(g: usize) -> String {
    format!("sg-bp1bench{g:04}")
}

fn instance(n: usize) -> String {
    format!("i-bp1bench{n:06}")
}

fn eni(n: usize) -> String {
    format!("eni-bp1bench{n:06}")
}

/// The tags of target `n` (instances and ENIs share the scheme): role, team, zone, env.
fn tags(n: usize) -> (usize, usize, usize, usize) {
    (
        n % ROLES.len(),
        (n / 10) % TEAMS,
        (n / 7) % ZONES,
        n % ENVS.len(),
    )
}

fn tag_object(n: usize) -> Value {
    let (role, team, zone, env) = tags(n);
    json!({
        "role": ROLES[role],
        "team": format!("t{team:02}"),
        "zone": format!("z{zone:02}"),
        "env": ENVS[env],
    })
}

fn world(instances: usize, enis: usize) -> World {
    let groups: Vec<Value> = (0..GROUPS)
        .map(|g| {
            json!({ "id": group(g), "region": REGION, "owner": ACCOUNT, "vpc_id": VPC,
                    "name": format!("bench-{g}"), "rule_count": 10 })
        })
        .collect();
    let instances: Vec<Value> = (0..instances)
        .map(|n| {
            let mut sgs = vec![group(n % BASE_GROUPS)];
            if n % 10 == 3 {
                // Already where the configuration wants it: adopted, no call.
                sgs.push(group(ENV_BASE + tags(n).3));
            }
            json!({ "id": instance(n), "region": REGION, "owner": ACCOUNT, "vpc_id": VPC,
                    "status": "Running", "security_group_ids": sgs, "tags": tag_object(n) })
        })
        .collect();
    let enis: Vec<Value> = (0..enis)
        .map(|n| {
            json!({ "id": eni(n), "region": REGION, "owner": ACCOUNT, "vpc_id": VPC,
                    "type": "Secondary", "status": "InUse", "instance_id": instance(n * 4),
                    "security_group_ids": [group(n % BASE_GROUPS)], "tags": tag_object(n) })
        })
        .collect();
    let file = json!({
        "accounts": [{ "id": ACCOUNT, "access_keys": [{ "id": KEY_ID, "secret": KEY_SECRET }] }],
        "vpcs": [{ "id": VPC, "region": REGION, "owner": ACCOUNT }],
        "security_groups": groups,
        "instances": instances,
        "network_interfaces": enis,
    });
    World::from_json(&file.to_string()).unwrap()
}

/// The configuration, as someone managing this fleet would write it.
/// The group of target `n` in one dimension (role, team, zone, env).
type GroupOf = fn(usize) -> usize;

/// `literal`: the same 10,000 memberships as one block each with literal IDs, and no data
/// sources or locals (the shape of a configuration generated from an inventory): the same plan,
/// read with exactly ⌈instances/100⌉ + ⌈ENIs/100⌉ + ⌈groups/100⌉ calls, and an evaluation
/// context small enough that `Config::expand` copying it per declaration costs little.
fn configuration(
    endpoint: &str,
    rate_limit: Option<u32>,
    literal: Option<(usize, usize)>,
) -> String {
    let mut hcl = String::new();
    let rate = rate_limit.map_or(String::new(), |r| format!("  rate_limit = {r}\n"));
    let _ = writeln!(
        hcl,
        "provider \"alicloud\" {{\n  region   = \"{REGION}\"\n  endpoint = \"{endpoint}\"\n{rate}}}\n"
    );
    let map = |keys: Vec<String>, first: usize| {
        keys.iter()
            .enumerate()
            .map(|(i, k)| format!("    {k} = \"{}\"\n", group(first + i)))
            .collect::<String>()
    };
    let _ = writeln!(
        hcl,
        "locals {{\n  role_group = {{\n{}  }}\n  team_group = {{\n{}  }}\n  zone_group = {{\n{}  }}\n  env_group = {{\n{}  }}",
        map(ROLES.iter().map(|r| r.to_string()).collect(), ROLE_BASE),
        map((0..TEAMS).map(|t| format!("t{t:02}")).collect(), TEAM_BASE),
        map((0..ZONES).map(|z| format!("z{z:02}")).collect(), ZONE_BASE),
        map(ENVS.iter().map(|e| e.to_string()).collect(), ENV_BASE),
    );
    let list = |kind: &str, attr: &str| {
        ROLES
            .iter()
            .map(|r| format!("data.{kind}.{r}.{attr}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if literal.is_some() {
        hcl.push_str("}\n\n");
    } else {
        let _ = writeln!(
            hcl,
            "  instances = concat({})\n  enis      = concat({})\n}}\n",
            list("instances", "instances"),
            list("network_interfaces", "network_interfaces")
        );
        for role in ROLES {
            let _ = writeln!(
                hcl,
                "data \"instances\" \"{role}\" {{\n  vpc_id = \"{VPC}\"\n  tags   = {{ role = \"{role}\" }}\n  status = \"Running\"\n}}\n\n\
                 data \"network_interfaces\" \"{role}\" {{\n  vpc_id = \"{VPC}\"\n  tags   = {{ role = \"{role}\" }}\n}}\n"
            );
        }
    }
    if let Some((instances, enis)) = literal {
        let dims: [(&str, GroupOf); 4] = [
            ("role", |n| ROLE_BASE + tags(n).0),
            ("team", |n| TEAM_BASE + tags(n).1),
            ("zone", |n| ZONE_BASE + tags(n).2),
            ("env", |n| ENV_BASE + tags(n).3),
        ];
        for (count, id, attr) in [
            (instances, instance as fn(usize) -> String, "instance_id"),
            (enis, eni, "network_interface_id"),
        ] {
            for n in 0..count {
                for (dim, g) in &dims {
                    let _ = writeln!(
                        hcl,
                        "membership \"{dim}_{}\" {{\n  security_group_id = \"{}\"\n  {attr} = \"{}\"\n}}\n",
                        id(n).replace('-', "_"),
                        group(g(n)),
                        id(n)
                    );
                }
            }
        }
        return hcl;
    }
    for (kind, list, id_attr) in [
        ("instance", "instances", "instance_id"),
        ("eni", "enis", "network_interface_id"),
    ] {
        for dim in ["role", "team", "zone", "env"] {
            let _ = writeln!(
                hcl,
                "membership \"{kind}_{dim}\" {{\n  for_each          = {{ for t in local.{list} : t.id => local.{dim}_group[t.tags.{dim}] }}\n  security_group_id = each.value\n  {id_attr} = each.key\n}}\n"
            );
        }
    }
    hcl
}

/// A client for the provider as `ops::connect::cloud_client` builds one (its endpoint, region
/// and `rate_limit`), with the benchmark's key instead of the credential chain. `pacing`
/// `None`: the configured rate limit or the client's default; `Some(None)`: no limit at all.
fn clients(config: &Config, pacing: Option<Option<f64>>) -> Clients {
    let mut clients = Clients::new();
    for p in config.providers() {
        let credentials = Credentials::new(KEY_ID, Secret::new(KEY_SECRET));
        let endpoint = p.endpoint.clone().expect("the benchmark sets an endpoint");
        let region = p.region.clone().expect("the benchmark sets a region");
        let mut c = ClientConfig::new(endpoint, region, credentials);
        if let Some(rate) = p.rate_limit {
            c.rate_limit = Some(f64::from(rate));
        }
        if let Some(rate) = pacing {
            c.rate_limit = rate;
        }
        clients.insert(p.alias.clone(), Client::new(c).unwrap());
    }
    clients
}

struct Measured {
    load: Duration,
    refresh: Duration,
    expand: Option<Duration>,
    plan: Duration,
    render: Duration,
    total: Duration,
    calls: u64,
    stats_calls: u64,
    memberships: usize,
    operations: usize,
    errors: usize,
    text_bytes: usize,
}

async fn run_once(
    dir: &Path,
    base: &str,
    pacing: Option<Option<f64>>,
    time_expand: bool,
) -> Measured {
    let before = stats_total(base).await;
    let started = Instant::now();
    let (config, diags) = config::load(dir, &Inputs::default()).unwrap();
    assert!(!sgform::diag::has_errors(&diags), "{diags:#?}");
    let load = started.elapsed();

    let clients = clients(&config, pacing);
    let state = State::empty();
    // The pipeline `sgform plan` runs; the refresh reports its own wall time.
    let run_started = Instant::now();
    let refreshed = sgform::ops::plan::refresh_and_plan(
        &clients,
        &config,
        &state,
        refresh::DEFAULT_PARALLELISM,
        &PlanOptions::default(),
    )
    .await
    .unwrap();
    let plan_time = run_started
        .elapsed()
        .saturating_sub(refreshed.stats.elapsed);
    let refresh_done = load + refreshed.stats.elapsed;
    let plan = &refreshed.plan;
    let render_started = Instant::now();
    let text = render::text::render(
        plan,
        TextOptions {
            verbose: false,
            color: false,
        },
    );
    let render_time = render_started.elapsed();
    let total = started.elapsed();

    // Outside the timed path: how much of the refresh `Config::expand` is (once: it costs as
    // much again).
    let mut expand = None;
    if time_expand {
        let expand_started = Instant::now();
        let (again, _) = config.expand(&refreshed.inventory.data);
        expand = Some(expand_started.elapsed());
        assert_eq!(again.len(), refreshed.declarations.len());
    }

    let errors = refreshed
        .diagnostics
        .iter()
        .filter(|d| d.severity == sgform::diag::Severity::Error)
        .count();
    Measured {
        load,
        refresh: refresh_done - load,
        expand,
        plan: plan_time,
        render: render_time,
        total,
        calls: refreshed.stats.calls,
        stats_calls: stats_total(base).await - before,
        memberships: refreshed.declarations.len(),
        operations: plan.operations.len(),
        errors,
        text_bytes: text.len(),
    }
}

async fn stats_total(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/_emulator/stats"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stats: Value = serde_json::from_str(&text).unwrap();
    let mutations: u64 = [
        "JoinSecurityGroup",
        "LeaveSecurityGroup",
        "ModifyInstanceAttribute",
    ]
    .iter()
    .filter_map(|a| stats["by_action"][a].as_u64())
    .sum();
    assert_eq!(mutations, 0, "a plan must not mutate");
    stats["total"].as_u64().unwrap()
}

/// Peak resident memory of this process (the planner and the in-process emulator), from
/// `/proc/self/status` (Linux only).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.parse().ok())
        .collect();
    let instances = args.first().copied().unwrap_or(DEFAULT_INSTANCES);
    let enis = instances / 4;
    let runs = args.get(1).copied().unwrap_or(1);
    let configured_only = std::env::args().any(|a| a == "--configured-only");
    let literal = std::env::args()
        .any(|a| a == "--literal")
        .then_some((instances, enis));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let options = Options {
            latency_ms: LATENCY_MS,
            ..Options::default()
        };
        let server = tokio::spawn(emulator::serve(listener, world(instances, enis), options, async {
            let _ = stopped.await;
        }));

        let budget = instances.div_ceil(100) + enis.div_ceil(100) + GROUPS.div_ceil(100);
        // Each role's data sources: its instances and its ENIs, 100 per page.
        let data_pages: usize = if literal.is_some() { 0 } else { (0..ROLES.len())
            .map(|r| {
                let count = |n: usize| (0..n).filter(|i| tags(*i).0 == r).count();
                count(instances).div_ceil(100).max(1) + count(enis).div_ceil(100).max(1)
            })
            .sum() };
        println!(
            "plan_emulator: {instances} instances + {enis} ENIs, {GROUPS} groups, {} memberships, emulator latency {LATENCY_MS} ms; budget {budget} + {data_pages} data-source pages + 0 group-member pages = {} calls",
            4 * (instances + enis),
            budget + data_pages
        );
        let mut first = true;
        for (label, rate_limit, pacing) in [
            ("rate_limit = 100 (configured)", Some(100), None),
            ("no client rate limit", None, Some(None)),
            ("client default (ceiling 1000/s, burst 5)", None, None),
        ]
        .into_iter()
        .take(if configured_only { 1 } else { 3 })
        {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("main.hcl"), configuration(&base, rate_limit, literal)).unwrap();
            let n = if pacing.is_none() && rate_limit.is_none() { 1 } else { runs };
            for i in 0..n {
                let m = run_once(dir.path(), &base, pacing, first).await;
                first = false;
                assert_eq!(m.errors, 0, "the benchmark's plan must be valid");
                assert_eq!(m.calls, m.stats_calls, "the refresh counts what the emulator saw");
                println!(
                    "  {label:<32} run {}: total {:>7} (load {}, refresh {}{}, plan {}, render {}); {} calls; {} memberships → {} operations, preview {} KB",
                    i + 1,
                    ms(m.total),
                    ms(m.load),
                    ms(m.refresh),
                    m.expand.map_or(String::new(), |e| format!(" of which Config::expand {}", ms(e))),
                    ms(m.plan),
                    ms(m.render),
                    m.calls,
                    m.memberships,
                    m.operations,
                    m.text_bytes / 1024,
                );
            }
        }
        if let Some(mb) = peak_rss_mb() {
            println!("  peak RSS (planner and emulator in one process): {mb:.0} MB");
        }
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    });
}
