//! A fleet of instances and ENIs, groups to move them between, and what the suite checks: the
//! configuration for a set of pairs, the world to start from, the pairs the state and the
//! cloud hold, and the request log read for re-sent mutations. A fleet's [`Backend`] says where
//! its state lives: the local file, or a PostgreSQL schema of its own (`SGFORM_PG_CONN_STR`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use sgform::emulator::World;
use sgform::state::Backend as _;

use crate::support::pg_env;

/// A (target, group) pair, as IDs.
pub type Pair = (String, String);

/// The groups a target may be in besides the base group (the cloud's limit is 5).
const MAX_OPS_GROUPS: usize = 4;

/// Every target starts in it and stays (so no leave is ever a target's last group).
pub const BASE: &str = "sg-bp1soakbase0000";

const OWNER: &str = "1111111111111111";
const VPC: &str = "vpc-bp1soak0000001";
pub const KEY_ID: &str = "LTAI5tSoakKey0000001";
pub const KEY_SECRET: &str = "soak-secret";

/// splitmix64: every run of the suite with the same seed makes the same choices.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Where a fleet's state lives.
#[derive(Debug, Clone)]
pub enum Backend {
    /// `sgform.state.json` in the configuration's directory.
    Local,
    /// The `backend "pg"` block: this schema (of its own), workspace `default`, the server of
    /// `SGFORM_PG_CONN_STR`, which the binary is given.
    Pg { schema: String },
}

impl Backend {
    /// A pg backend in a new schema; fails (as `tests/it/pg.rs` does) without a server.
    pub fn pg(tag: &str) -> Backend {
        pg_env::conn_str();
        Backend::Pg {
            schema: pg_env::unique_schema(tag),
        }
    }

    /// What the configuration says about the backend (nothing for the local file).
    fn block(&self) -> String {
        match self {
            Backend::Local => String::new(),
            Backend::Pg { schema } => pg_env::backend_block(schema, "default"),
        }
    }

    /// The state the configuration in `dir` reads, through the library.
    fn open(&self, dir: &Path) -> Box<dyn sgform::state::Backend> {
        match self {
            Backend::Local => {
                Box::new(sgform::state::LocalFile::new(dir.join("sgform.state.json")))
            }
            Backend::Pg { schema } => {
                let location = sgform::state::pg::PgLocation::new(
                    Some(&pg_env::conn_str()),
                    &|_| None,
                    schema,
                    "default",
                )
                .unwrap();
                Box::new(sgform::state::pg::Pg::new(location))
            }
        }
    }
}

/// `instances` instances and `enis` free secondary ENIs, `groups` groups to move them between;
/// the state in `backend`.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub instances: usize,
    pub enis: usize,
    pub groups: usize,
    pub backend: Backend,
}

/// Pairs by index: (target, group).
pub type Indexes = BTreeSet<(usize, usize)>;

impl Fleet {
    /// About one operation per target in a round of `ops`.
    pub fn for_round(ops: usize) -> Fleet {
        let targets = (ops * 6 / 5).max(20);
        Fleet {
            instances: targets * 2 / 3,
            enis: targets - targets * 2 / 3,
            groups: 8,
            backend: Backend::Local,
        }
    }

    /// The same fleet with its state in `backend`.
    pub fn on(self, backend: Backend) -> Fleet {
        Fleet { backend, ..self }
    }

    pub fn targets(&self) -> usize {
        self.instances + self.enis
    }

    pub fn target(&self, t: usize) -> String {
        if t < self.instances {
            format!("i-bp1soak{t:08}")
        } else {
            format!("eni-bp1soak{:08}", t - self.instances)
        }
    }

    pub fn group(&self, g: usize) -> String {
        format!("sg-bp1soakgrp{g:05}")
    }

    fn pair(&self, (t, g): (usize, usize)) -> Pair {
        (self.target(t), self.group(g))
    }

    pub fn pairs(&self, indexes: &Indexes) -> BTreeSet<Pair> {
        indexes.iter().map(|p| self.pair(*p)).collect()
    }

    /// `from` with `n` pairs toggled (a join for each pair added, a leave for each removed),
    /// no pair twice and no target past the limit.
    pub fn flip(&self, from: &Indexes, n: usize, rng: &mut Rng) -> Indexes {
        let mut out = from.clone();
        let mut count: BTreeMap<usize, usize> = BTreeMap::new();
        for (t, _) in from {
            *count.entry(*t).or_default() += 1;
        }
        let mut touched = BTreeSet::new();
        let mut done = 0;
        let mut tries = 0;
        while done < n {
            tries += 1;
            assert!(
                tries < 100 * n + 1000,
                "cannot toggle {n} pairs in {self:?}"
            );
            let p = (rng.below(self.targets()), rng.below(self.groups));
            if !touched.insert(p) {
                continue;
            }
            let c = count.entry(p.0).or_default();
            if out.remove(&p) {
                *c -= 1;
            } else if *c < MAX_OPS_GROUPS {
                out.insert(p);
                *c += 1;
            } else {
                continue;
            }
            done += 1;
        }
        out
    }

    /// The state address of a pair: `membership.i["t3g1"]` or `membership.e["t9g0"]`.
    pub fn address(&self, (t, g): (usize, usize)) -> String {
        let block = if t < self.instances { "i" } else { "e" };
        format!("membership.{block}[\"t{t}g{g}\"]")
    }

    /// The configuration: the backend's block, one additive `membership` per pair, through two
    /// `for_each` blocks.
    pub fn config(&self, endpoint: &str, pairs: &Indexes) -> String {
        let entries = |enis: bool| {
            pairs
                .iter()
                .filter(|(t, _)| (*t >= self.instances) == enis)
                .map(|&(t, g)| {
                    format!(
                        "    t{t}g{g} = {{ t = \"{}\", g = \"{}\" }}\n",
                        self.target(t),
                        self.group(g)
                    )
                })
                .collect::<String>()
        };
        format!(
            "{}provider \"alicloud\" {{\n  region   = \"cn-hangzhou\"\n  endpoint = \"{endpoint}\"\n}}\n\n\
             locals {{\n  i = {{\n{}  }}\n  e = {{\n{}  }}\n}}\n\n\
             membership \"i\" {{\n  for_each          = local.i\n  security_group_id = each.value.g\n  instance_id       = each.value.t\n}}\n\n\
             membership \"e\" {{\n  for_each             = local.e\n  security_group_id    = each.value.g\n  network_interface_id = each.value.t\n}}\n",
            self.backend.block(),
            entries(false),
            entries(true)
        )
    }

    /// The world: every target in [`BASE`] and in the groups of `pairs`.
    pub fn world(&self, pairs: &Indexes) -> World {
        let group = |id: String| {
            json!({"id": id, "region": "cn-hangzhou", "owner": OWNER, "vpc_id": VPC,
                   "type": "normal", "name": id, "rule_count": 0, "capacity": 2000})
        };
        let groups_of = |t: usize| {
            let mut groups = vec![BASE.to_owned()];
            groups.extend(pairs.range((t, 0)..(t + 1, 0)).map(|&(_, g)| self.group(g)));
            groups
        };
        let instances: Vec<Value> = (0..self.instances)
            .map(|t| {
                json!({"id": self.target(t), "region": "cn-hangzhou", "owner": OWNER,
                       "vpc_id": VPC, "security_group_ids": groups_of(t), "name": format!("t{t}")})
            })
            .collect();
        let enis: Vec<Value> = (self.instances..self.targets())
            .map(|t| {
                json!({"id": self.target(t), "region": "cn-hangzhou", "owner": OWNER,
                       "vpc_id": VPC, "type": "Secondary", "status": "Available",
                       "instance_id": null, "security_group_ids": groups_of(t), "tags": {}})
            })
            .collect();
        let mut groups = vec![group(BASE.to_owned())];
        groups.extend((0..self.groups).map(|g| group(self.group(g))));
        let file = json!({
            "accounts": [{"id": OWNER, "access_keys": [{"id": KEY_ID, "secret": KEY_SECRET}]}],
            "vpcs": [{"id": VPC, "region": "cn-hangzhou", "owner": OWNER}],
            "security_groups": groups,
            "instances": instances,
            "network_interfaces": enis,
        });
        World::from_file(serde_json::from_value(file).unwrap()).unwrap()
    }

    /// A state that manages `pairs` under their addresses (what an earlier apply left).
    pub fn state(&self, pairs: &Indexes) -> sgform::state::State {
        let memberships = pairs
            .iter()
            .map(|&p| {
                let (target, group) = self.pair(p);
                serde_json::from_value(json!({"address": self.address(p), "provider": null,
                    "region": "cn-hangzhou", "security_group_id": group, "target": target}))
                .unwrap()
            })
            .collect();
        sgform::state::State {
            memberships,
            ..sgform::state::State::empty()
        }
    }

    /// Writes [`Fleet::state`] of `pairs` where the configuration in `dir` keeps its state (as
    /// an earlier apply would have), through the library; returns the state stored.
    pub fn seed(&self, dir: &Path, pairs: &Indexes) -> sgform::state::State {
        self.backend.open(dir).write(&self.state(pairs)).unwrap()
    }

    /// The binary in `dir`, with the fleet's key (and the server's connection string when the
    /// state is in pg).
    pub fn sgform(&self, dir: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::from(crate::support::sgform());
        cmd.current_dir(dir)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Backend::Pg { .. } = self.backend {
            cmd.env("SGFORM_PG_CONN_STR", pg_env::conn_str());
        }
        cmd
    }

    /// The pairs the state of the configuration in `dir` manages, through `sgform state list`
    /// (so whatever the backend keeps, in the database or beside the file, is read as the binary
    /// reads it); panics when the state does not parse.
    pub async fn state_pairs(&self, dir: &Path) -> BTreeSet<Pair> {
        let out = self
            .sgform(dir)
            .args(["state", "list"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "state list: {}", text(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let (_, pair) = line.split_once('\t').unwrap();
                let (group, target) = pair.split_once('/').unwrap();
                (target.to_owned(), group.to_owned())
            })
            .collect()
    }

    /// `sgform plan --detailed-exitcode` until it answers 0 (nothing to do) or 2 (changes); an
    /// error (a refresh that met too many faults) is tried again. True when nothing is to do.
    #[allow(clippy::print_stderr)] // a test's own progress, shown when it fails
    pub async fn plan_is_empty(&self, dir: &Path) -> bool {
        for _ in 0..5 {
            let out = self
                .sgform(dir)
                .args(["plan", ".", "--detailed-exitcode"])
                .output()
                .await
                .unwrap();
            match out.status.code() {
                Some(0) => return true,
                Some(2) => return false,
                _ => eprintln!("plan failed (tried again): {}", text(&out)),
            }
        }
        panic!("plan failed five times in a row");
    }
}

/// The pairs of the emulator's world outside [`BASE`].
pub fn cloud_pairs(world: &Value) -> BTreeSet<Pair> {
    let mut pairs = BTreeSet::new();
    for kind in ["instances", "network_interfaces"] {
        for t in world[kind].as_array().into_iter().flatten() {
            for g in t["security_group_ids"].as_array().unwrap() {
                let g = g.as_str().unwrap();
                if g != BASE {
                    pairs.insert((t["id"].as_str().unwrap().to_owned(), g.to_owned()));
                }
            }
        }
    }
    pairs
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The retries an apply's summary reports (`(N API calls, M retries)`), 0 without one.
pub fn retries(stdout: &str) -> u64 {
    stdout
        .lines()
        .filter_map(|l| {
            l.split_once(" API calls, ")?
                .1
                .split_once(" retries")?
                .0
                .parse::<u64>()
                .ok()
        })
        .sum()
}

const MUTATIONS: &[&str] = &[
    "JoinSecurityGroup",
    "LeaveSecurityGroup",
    "ModifyInstanceAttribute",
    "ModifyNetworkInterfaceAttribute",
];

/// The fault kinds the emulator injects, as its log names them.
pub const FAULTS: &[&str] = &[
    "InternalError",
    "ServiceUnavailable",
    "Throttling",
    "InvalidOperation.Conflict",
    "DropBeforeCommit",
    "DropAfterCommit",
];

/// What the emulator's request log says.
#[derive(Debug, Default)]
pub struct Log {
    pub requests: u64,
    pub mutations: u64,
    /// Mutations the emulator committed (answered OK, or dropped after the commit).
    pub committed: u64,
    pub codes: BTreeMap<String, u64>,
    /// Mutations sent again after the emulator had committed the same one, with nothing
    /// undoing it in between: the log lines.
    pub resent: Vec<String>,
}

impl Log {
    pub fn faults(&self) -> u64 {
        FAULTS.iter().filter_map(|f| self.codes.get(*f)).sum()
    }
}

/// Reads the log `sgform emulator serve --log` writes. A line is written just before its
/// answer (or its drop) leaves, so a resend, which can only follow the answer, comes after it.
///
/// A committed join of a pair is undone only by a committed leave of the pair (or a committed
/// replacement of the target's groups), and the other way round: until then, the same
/// mutation again is a re-send of a confirmed operation.
pub fn read_log(path: &Path) -> Log {
    let mut log = Log::default();
    // Target → the committed mutations standing: (action, group or the sorted group list).
    let mut standing: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        let code = entry["code"].as_str().unwrap_or_default();
        log.requests += 1;
        *log.codes.entry(code.to_owned()).or_default() += 1;
        let action = entry["action"].as_str().unwrap_or_default();
        if !MUTATIONS.contains(&action) {
            continue;
        }
        log.mutations += 1;
        let params = entry["params"].as_object().unwrap();
        let param = |name: &str| params.get(name).and_then(Value::as_str).unwrap_or_default();
        let target = if param("NetworkInterfaceId").is_empty() {
            param("InstanceId")
        } else {
            param("NetworkInterfaceId")
        }
        .to_owned();
        let what = if action.starts_with("Modify") {
            let mut groups: Vec<&str> = params
                .iter()
                .filter(|(k, _)| k.starts_with("SecurityGroupIds."))
                .filter_map(|(_, v)| v.as_str())
                .collect();
            groups.sort_unstable();
            groups.join(",")
        } else {
            param("SecurityGroupId").to_owned()
        };
        let key = (action.to_owned(), what);
        let on_target = standing.entry(target).or_default();
        if on_target.contains(&key) {
            log.resent.push(line.to_owned());
        }
        if code == "OK" || code == "DropAfterCommit" {
            log.committed += 1;
            let opposite = match action {
                "JoinSecurityGroup" => Some("LeaveSecurityGroup"),
                "LeaveSecurityGroup" => Some("JoinSecurityGroup"),
                _ => None,
            };
            match opposite {
                Some(o) => {
                    on_target.remove(&(o.to_owned(), key.1.clone()));
                    on_target.retain(|(a, _)| !a.starts_with("Modify"));
                }
                // A replacement sets every group of the target: nothing before it stands.
                None => on_target.clear(),
            }
            on_target.insert(key);
        }
    }
    log
}
