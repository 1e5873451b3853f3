//! The pure planner at fleet scale: `plan::plan` on generated declarations and an inventory
//! built in memory (no I/O), reported as wall time per size.
//!
//! Run: `cargo bench --bench plan` (optional argument: the largest size, default 100000).
//! Peak memory: `/usr/bin/time -v target/release/deps/plan-* 100000`.
//! Issue 7's target: 100,000 memberships in under 0.5 s and 200 MB peak RSS.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Instant;

use sgform::config::{Common, Declaration, Membership};
use sgform::ids::{Address, DeclarationKind, InstanceId, RegionId, SecurityGroupId, Target, VpcId};
use sgform::plan::{GroupFacts, GroupType, InstanceFacts, Inventory, Limits, PlanOptions, plan};
use sgform::state::State;

const GROUPS: usize = 200;
/// Memberships per target: the first already holds (adopted), the rest join.
const PER_TARGET: usize = 4;

fn group(g: usize) -> SecurityGroupId {
    SecurityGroupId::parse(&format!("sg-bp1bench{g:08}")).unwrap()
}

fn inputs(memberships: usize) -> (Vec<Declaration>, Inventory) {
    let region = RegionId::parse("cn-hangzhou").unwrap();
    let vpc = VpcId::parse("vpc-bp1bench0000001").unwrap();
    let mut inv = Inventory::default();
    for g in 0..GROUPS {
        inv.groups.insert(
            group(g),
            GroupFacts {
                id: group(g),
                provider: None,
                region: region.clone(),
                name: String::new(),
                group_type: GroupType::Normal,
                vpc_id: Some(vpc.clone()),
                service_managed: false,
                rule_count: 10,
                member_count: 0,
                capacity: 65_536,
            },
        );
    }
    let targets = memberships / PER_TARGET;
    let mut decls = Vec::with_capacity(memberships);
    for t in 0..targets {
        let id = InstanceId::parse(&format!("i-bp1bench{t:010}")).unwrap();
        let first = t % GROUPS;
        inv.instances.insert(
            id.clone(),
            InstanceFacts {
                id: id.clone(),
                provider: None,
                region: region.clone(),
                status: "Running".to_owned(),
                network_type: "vpc".to_owned(),
                vpc_id: Some(vpc.clone()),
                security_group_ids: vec![group(first)],
                locked_for_security: false,
                instance_type: "ecs.g7.large".to_owned(),
                primary_network_interface: None,
            },
        );
        if let Some(g) = inv.groups.get_mut(&group(first)) {
            g.member_count += 1;
        }
        for k in 0..PER_TARGET {
            let g = (first + k * 7) % GROUPS;
            decls.push(Declaration::Membership(Membership {
                common: Common {
                    address: Address::new(DeclarationKind::Membership, format!("g{k}"))
                        .with_key(&id),
                    provider: None,
                    depends_on: Vec::new(),
                    sensitive: BTreeSet::new(),
                    span: None,
                },
                security_group_id: group(g),
                target: Target::Instance(id.clone()),
            }));
        }
    }
    decls.sort_by(|a, b| a.address().cmp(b.address()));
    (decls, inv)
}

/// Peak resident memory so far (`VmHWM`), in MB; 0 where `/proc` is missing.
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let largest: usize = std::env::args()
        .nth(1)
        .filter(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let state = State::empty();
    let limits = Limits::default();
    println!(
        "{:>10} {:>10} {:>12} {:>14}",
        "members", "ops", "plan (s)", "µs/membership"
    );
    let mut n = 1_000;
    while n <= largest {
        let (decls, inv) = inputs(n);
        let inputs_peak = peak_mb();
        let start = Instant::now();
        let (p, diags) = plan(&decls, &state, &inv, &limits, &PlanOptions::default());
        let elapsed = start.elapsed().as_secs_f64();
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        println!(
            "{n:>10} {:>10} {elapsed:>10.3} {:>14.2} {inputs_peak:>16.0} {:>14.0}",
            p.operations.len(),
            elapsed * 1e6 / n as f64,
            peak_mb()
        );
        n *= 10;
    }
}
