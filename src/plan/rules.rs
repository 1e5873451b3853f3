//! Every rule of the JoinSecurityGroup contract (and of LeaveSecurityGroup and the Modify*
//! replacements), checked before anything runs (pure).
//!
//! Each violation is a diagnostic pointing at the declaring block, naming the target, the group,
//! the values involved, the API error code it prevents and what to do. Transitional statuses
//! are warnings: apply waits for them. This is an implementation of the rules independent of the
//! emulator's (`emulator::rules`), so each checks the other.

use std::collections::{BTreeMap, BTreeSet};

use super::diff::{Diff, TargetDiff};
use super::inventory::{GroupFacts, GroupType, Inventory};
use super::model::Limits;
use crate::config::{Common, provider_name};
use crate::diag::Diagnostic;
use crate::ids::{SecurityGroupId, Target};

/// Instance families of the first generation, which cannot use enterprise (advanced) security
/// groups. Every current family can.
const NO_ENTERPRISE_FAMILIES: &[&str] = &[
    "ecs.t1", "ecs.s1", "ecs.s2", "ecs.s3", "ecs.m1", "ecs.m2", "ecs.c1", "ecs.c2", "ecs.n1",
    "ecs.n2", "ecs.e3",
];

/// Whether an instance type can use enterprise security groups.
pub(super) fn supports_enterprise(instance_type: &str) -> bool {
    let family = instance_type
        .match_indices('.')
        .nth(1)
        .map_or(instance_type, |(i, _)| &instance_type[..i]);
    !NO_ENTERPRISE_FAMILIES.contains(&family)
}

/// Instance statuses in which membership can change.
const MUTABLE_INSTANCE: &[&str] = &["Running", "Stopped"];
/// Instance statuses that pass by themselves (apply waits).
const TRANSITIONAL_INSTANCE: &[&str] = &["Pending", "Starting", "Stopping"];
const MUTABLE_ENI: &[&str] = &["Available", "InUse"];
const TRANSITIONAL_ENI: &[&str] = &["Attaching", "Detaching", "Creating"];

/// What the checks found.
#[derive(Debug, Default)]
pub(super) struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    /// Targets with an error: nothing is scheduled for them.
    pub blocked: BTreeSet<Target>,
}

struct Ctx<'a, 'd> {
    diff: &'a Diff<'d>,
    inventory: &'a Inventory,
    out: Checked,
}

/// A group as a diagnostic prints it, formatted only when a diagnostic is built.
struct ShownGroup<'x, 'd> {
    diff: &'x Diff<'d>,
    t: &'x TargetDiff<'d>,
    g: &'x SecurityGroupId,
}

impl std::fmt::Display for ShownGroup<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&show_group(self.diff, self.t, self.g))
    }
}

/// A target as a diagnostic prints it, formatted only when a diagnostic is built.
#[derive(Clone, Copy)]
struct ShownTarget<'x, 'd> {
    diff: &'x Diff<'d>,
    t: &'x TargetDiff<'d>,
    target: &'x Target,
}

impl std::fmt::Display for ShownTarget<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&show_target(self.diff, self.t, self.target))
    }
}

/// How a group prints in a diagnostic about `t`: `(sensitive value)` when a declaration that
/// names the pair holds it in a sensitive attribute.
fn show_group(diff: &Diff<'_>, t: &TargetDiff<'_>, g: &SecurityGroupId) -> String {
    {
        let sensitive = t
            .wanted
            .get(g)
            .into_iter()
            .flatten()
            .copied()
            .chain(t.unwanted.get(g).into_iter().flatten())
            .filter_map(|a| diff.declarations.get(a))
            .any(|d| {
                let (kind, c) = (d.kind(), d.common());
                c.is_sensitive(kind.group_attr())
                    || kind
                        .ignored_groups_attr()
                        .is_some_and(|a| c.is_sensitive(a))
            });
        if sensitive {
            "(sensitive value)".to_owned()
        } else {
            format!("`{g}`")
        }
    }
}

/// How the target prints: `(sensitive value)` when every declaration naming it holds it in a
/// sensitive attribute.
fn show_target(_diff: &Diff<'_>, t: &TargetDiff<'_>, target: &Target) -> String {
    {
        // A declaration's address always has a declaration kind.
        let attr = |c: &Common| {
            c.address
                .declaration()
                .is_some_and(|k| c.is_sensitive(k.target_attr(target)))
        };
        if !t.declarations.is_empty() && t.declarations.iter().all(|c| attr(c)) {
            "(sensitive value)".to_owned()
        } else {
            format!("`{target}`")
        }
    }
}

impl Ctx<'_, '_> {
    fn group<'x>(&'x self, t: &'x TargetDiff<'_>, g: &'x SecurityGroupId) -> String {
        show_group(self.diff, t, g)
    }

    fn emit(
        &mut self,
        target: Option<&Target>,
        culprit: Option<&Common>,
        diagnostic: Diagnostic,
        code: Option<&str>,
    ) {
        let mut d = diagnostic;
        if let Some(c) = culprit {
            d = d.with_address(c.address.clone());
            if let Some(span) = c.span {
                d = d.with_span_label(span, format!("declared by `{}`", c.address));
            }
        } else if let Some(gone) = target
            .and_then(|t| self.diff.targets.get(t))
            .and_then(|t| t.unwanted.values().flatten().next())
        {
            // No declaration names the target: only state entries of gone declarations do.
            d = d.with_address(gone.clone()).with_note(format!(
                "only the state names this target: `{gone}` managed it and no longer declares it"
            ));
        }
        if let Some(code) = code {
            let note = if d.is_error() {
                format!("the API would answer `{code}`; sgform stops before sending anything")
            } else {
                format!("the API answers `{code}` until then; apply waits before sending the call")
            };
            d = d.with_note(note);
        }
        if d.is_error()
            && let Some(t) = target
        {
            self.out.blocked.insert(t.clone());
        }
        self.out.diagnostics.push(d);
    }
}

pub(super) fn check(diff: &Diff<'_>, inventory: &Inventory, limits: &Limits) -> Checked {
    let mut cx = Ctx {
        diff,
        inventory,
        out: Checked::default(),
    };
    for (target, t) in &diff.targets {
        check_target(&mut cx, target, t, limits);
    }
    check_capacity(&mut cx);
    cx.out
}

fn check_target(cx: &mut Ctx<'_, '_>, target: &Target, t: &TargetDiff<'_>, limits: &Limits) {
    let declared = !t.wanted.is_empty() || t.set.is_some();
    let diff = cx.diff;
    let shown = ShownTarget { diff, t, target };
    if t.providers.len() > 1 {
        let mut names: Vec<String> = t
            .providers
            .iter()
            .map(|p| provider_name(p.as_deref()))
            .collect();
        names.sort();
        let d = Diagnostic::error(format!(
            "{shown} is managed through more than one provider: {}",
            names.join(", ")
        ))
        .with_hint("name each target through one provider (`provider = alicloud.ALIAS`)");
        cx.emit(Some(target), t.culprit(None), d, None);
        return;
    }
    let inventory = cx.inventory;
    let Some(found_through) = inventory.provider_of(target) else {
        if declared {
            let (code, what) = match target {
                Target::Instance(_) => ("InvalidInstanceId.NotFound", "instance"),
                Target::NetworkInterface(_) => ("InvalidEniId.NotFound", "network interface"),
            };
            let d = Diagnostic::error(format!(
                "{what} {shown} does not exist in the account and region of `{}`",
                provider_name(t.provider.as_deref())
            ))
            .with_note("a resource of another account is invisible here too (`NotBelongUser`)")
            .with_hint(format!(
                "check the ID, the provider's region and credentials; `sgform api Describe{}` lists what the account sees",
                match target {
                    Target::Instance(_) => "Instances",
                    Target::NetworkInterface(_) => "NetworkInterfaces",
                }
            ));
            cx.emit(Some(target), t.culprit(None), d, Some(code));
        }
        return;
    };
    if !inventory.sees(&t.provider, target.as_str(), found_through) {
        let region = inventory
            .region_of(target)
            .map(ToString::to_string)
            .unwrap_or_default();
        let d = Diagnostic::error(format!(
            "{shown} is in region `{region}` (seen through `{}`), not in the region of `{}`",
            provider_name(found_through.as_deref()),
            provider_name(t.provider.as_deref())
        ))
        .with_note("a target and its security groups must be in the same region")
        .with_hint(format!(
            "declare it with `provider = {}`",
            provider_name(found_through.as_deref())
        ));
        cx.emit(
            Some(target),
            t.culprit(None),
            d,
            Some("InvalidInstanceId.NotFound"),
        );
        return;
    }
    if !t.changes() {
        return;
    }
    let joins: Vec<SecurityGroupId> = t.joins().cloned().collect();
    let leaves: Vec<SecurityGroupId> = t.leaves().cloned().collect();
    let first_change = joins.first().or(leaves.first());
    let culprit = t.culprit(first_change);

    // The target's own state.
    let (vpc, classic, enterprise_ok) = match target {
        Target::Instance(id) => {
            let Some(i) = inventory.instances.get(id) else {
                return;
            };
            if i.locked_for_security {
                let d = Diagnostic::error(format!(
                    "instance {shown} is locked for security reasons; its groups cannot change"
                ))
                .with_hint("resolve the security lock in the console first (see the instance's `OperationLocks`)");
                cx.emit(Some(target), culprit, d, Some("InstanceLockedForSecurity"));
            }
            let status = i.status.as_str();
            if status == "Pending" {
                let d = Diagnostic::warning(format!(
                    "instance {shown} is being created (`Pending`); apply will wait for it"
                ));
                cx.emit(
                    Some(target),
                    culprit,
                    d,
                    Some("Forbidden.InstanceIsBeingCreated"),
                );
            } else if TRANSITIONAL_INSTANCE.contains(&status) {
                let d = Diagnostic::warning(format!(
                    "instance {shown} is `{status}`; apply will wait until it is Running or Stopped"
                ));
                cx.emit(Some(target), culprit, d, Some("IncorrectInstanceStatus"));
            } else if !MUTABLE_INSTANCE.contains(&status) {
                let d = Diagnostic::error(format!(
                    "instance {shown} is `{status}`; only a Running or Stopped instance can change groups"
                ))
                .with_hint("start or stop the instance, or remove it from the configuration");
                cx.emit(Some(target), culprit, d, Some("IncorrectInstanceStatus"));
            }
            (
                i.vpc_id.clone(),
                i.network_type == "classic",
                supports_enterprise(&i.instance_type),
            )
        }
        Target::NetworkInterface(id) => {
            let Some(e) = inventory.network_interfaces.get(id) else {
                return;
            };
            match e.kind.as_str() {
                "Secondary" => {}
                "Primary" => {
                    let via = e
                        .instance_id
                        .as_ref()
                        .map(|i| format!("`{i}`"))
                        .unwrap_or_else(|| "its instance".to_owned());
                    let d = Diagnostic::error(format!(
                        "network interface {shown} is the primary ENI of instance {via}; its groups change through the instance"
                    ))
                    .with_hint(format!("declare the instance {via} instead (`instance_id`)"));
                    cx.emit(
                        Some(target),
                        culprit,
                        d,
                        Some("InvalidOperation.InvalidEniType"),
                    );
                }
                other => {
                    let d = Diagnostic::error(format!(
                        "network interface {shown} is a `{other}` ENI, whose groups cannot be changed this way"
                    ))
                    .with_hint("only secondary ENIs join and leave security groups; manage the trunk's groups instead");
                    cx.emit(
                        Some(target),
                        culprit,
                        d,
                        Some("InvalidOperation.InvalidEniType"),
                    );
                }
            }
            if e.service_managed {
                let d = Diagnostic::error(format!(
                    "network interface {shown} is managed by a cloud service; its groups cannot be changed"
                ))
                .with_hint("remove it from the configuration: the owning service manages its groups");
                cx.emit(
                    Some(target),
                    culprit,
                    d,
                    Some("InvalidOperation.EniServiceManaged"),
                );
            }
            let status = e.status.as_str();
            if status == "Creating" {
                let d = Diagnostic::warning(format!(
                    "network interface {shown} is being created; apply will wait for it"
                ));
                cx.emit(
                    Some(target),
                    culprit,
                    d,
                    Some("InvalidStatus.EniOrInstanceIsBeingCreated"),
                );
            } else if TRANSITIONAL_ENI.contains(&status) {
                let d = Diagnostic::warning(format!(
                    "network interface {shown} is `{status}`; apply will wait until it is Available or InUse"
                ));
                cx.emit(
                    Some(target),
                    culprit,
                    d,
                    Some("InvalidOperation.InvalidEniState"),
                );
            } else if !MUTABLE_ENI.contains(&status) {
                let d = Diagnostic::error(format!(
                    "network interface {shown} is `{status}`; only an Available or InUse ENI can change groups"
                ))
                .with_hint("remove it from the configuration, or wait until it is usable");
                cx.emit(
                    Some(target),
                    culprit,
                    d,
                    Some("InvalidOperation.InvalidEniState"),
                );
            }
            let enterprise_ok = e
                .instance_id
                .as_ref()
                .and_then(|i| inventory.instances.get(i))
                .is_none_or(|i| supports_enterprise(&i.instance_type));
            (e.vpc_id.clone(), false, enterprise_ok)
        }
    };

    // The groups it joins.
    let mut known: Vec<&GroupFacts> = Vec::new();
    for g in &joins {
        let culprit = t.culprit(Some(g));
        let gs = ShownGroup { diff, t, g };
        let Some(facts) = inventory.groups.get(g) else {
            let d = Diagnostic::error(format!(
                "security group {gs} does not exist in the account and region of `{}`",
                provider_name(t.provider.as_deref())
            ))
            .with_note(match target {
                Target::Instance(_) => {
                    "a group of another account is invisible here too (`NotBelongUser`)"
                }
                Target::NetworkInterface(_) => {
                    "a group of another account is invisible here too (`InvalidOperation.EniAndGroupNotBelongSameUser`)"
                }
            })
            .with_hint("check the ID and the provider's region; `sgform api DescribeSecurityGroups` lists the groups");
            cx.emit(
                Some(target),
                culprit,
                d,
                Some("InvalidSecurityGroupId.NotFound"),
            );
            continue;
        };
        if !inventory.sees(&t.provider, g.as_str(), &facts.provider) {
            let d = match inventory.region_of(target) {
                Some(region) if *region != facts.region => Diagnostic::error(format!(
                    "security group {gs} is in region `{}`, but {shown} is in region `{region}` (`{}`)",
                    facts.region,
                    provider_name(t.provider.as_deref())
                ))
                .with_note("a target and its security groups must be in the same region")
                .with_hint(format!("pick a security group of region `{region}`")),
                _ => Diagnostic::error(format!(
                    "security group {gs} was read through `{}`, not through `{}`, which manages {shown}",
                    provider_name(facts.provider.as_deref()),
                    provider_name(t.provider.as_deref())
                ))
                .with_note("a target and its security groups must belong to the same account and region")
                .with_hint("pick a security group the target's provider can see"),
            };
            cx.emit(
                Some(target),
                culprit,
                d,
                Some("InvalidSecurityGroupId.NotFound"),
            );
            continue;
        }
        if facts.service_managed {
            let d = Diagnostic::error(format!(
                "security group {gs} is managed by a cloud service; its members cannot be changed"
            ))
            .with_hint("remove it from the configuration");
            cx.emit(
                Some(target),
                culprit,
                d,
                Some("InvalidOperation.ResourceManagedByCloudProduct"),
            );
        }
        let network_ok = if classic {
            facts.vpc_id.is_none()
        } else {
            facts.vpc_id.is_some() && facts.vpc_id == vpc
        };
        if !network_ok {
            let side = |v: &Option<crate::ids::VpcId>| match v {
                Some(v) => format!("VPC `{v}`"),
                None => "the classic network".to_owned(),
            };
            let code = match target {
                Target::Instance(_) => "InvalidInstanceId.Mismatch",
                Target::NetworkInterface(_) => "InvalidOperation.VpcMismatch",
            };
            let target_side = if classic {
                "the classic network".to_owned()
            } else {
                side(&vpc)
            };
            let d = Diagnostic::error(format!(
                "security group {gs} is in {}, but {shown} is in {target_side}",
                side(&facts.vpc_id)
            ))
            .with_note("a target can only join groups of its own network type and VPC")
            .with_hint(if classic {
                "pick a classic-network security group"
            } else {
                "pick a security group of the target's VPC"
            });
            cx.emit(Some(target), culprit, d, Some(code));
        }
        if facts.group_type == GroupType::Enterprise && !enterprise_ok {
            let ty = match target {
                Target::Instance(id) => {
                    inventory.instances.get(id).map(|i| i.instance_type.clone())
                }
                Target::NetworkInterface(id) => inventory
                    .network_interfaces
                    .get(id)
                    .and_then(|e| e.instance_id.as_ref())
                    .and_then(|i| inventory.instances.get(i))
                    .map(|i| i.instance_type.clone()),
            }
            .unwrap_or_default();
            let d = Diagnostic::error(format!(
                "{shown} runs on instance type `{ty}`, which cannot use enterprise security group {gs}"
            ))
            .with_hint("use a normal security group, or change the instance type to a current generation");
            cx.emit(
                Some(target),
                culprit,
                d,
                Some("InvalidOperation.NotSupportEnterpriseGroup"),
            );
        }
        known.push(facts);
    }
    for g in &leaves {
        if let Some(facts) = inventory.groups.get(g)
            && facts.service_managed
        {
            let gs = cx.group(t, g);
            let d = Diagnostic::error(format!(
                "security group {gs} is managed by a cloud service; {shown} cannot leave it"
            ))
            .with_hint("add it to `ignore_security_group_ids`, or stop managing this pair");
            cx.emit(
                Some(target),
                t.culprit(Some(g)),
                d,
                Some("InvalidOperation.ResourceManagedByCloudProduct"),
            );
        }
    }

    // The set it ends with.
    let desired = &t.desired;
    let max = limits.groups_for(&t.provider);
    let unmanaged = |cx: &Ctx<'_, '_>| -> Vec<String> {
        t.current
            .iter()
            .flatten()
            .filter(|g| desired.contains(g) && !t.wanted.contains_key(g))
            .map(|g| cx.group(t, g))
            .collect()
    };
    let list = |cx: &Ctx<'_, '_>, gs: &[SecurityGroupId]| -> String {
        gs.iter()
            .map(|g| cx.group(t, g))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if desired.is_empty() {
        let current = list(cx, t.current.as_deref().unwrap_or_default());
        let d = if diff.destroy {
            last_group_on_destroy(shown, t, current)
        } else {
            Diagnostic::error(format!("{shown} would be left with no security group"))
                .with_note(format!("current: {current}; the plan removes every one"))
                .with_hint(
                    "a target must stay in at least one group: declare the group it should keep",
                )
        };
        cx.emit(Some(target), culprit, d, Some("InstanceLastSecurityGroup"));
    } else if desired.len() > max {
        let mut d = Diagnostic::error(format!(
            "{shown} would belong to {} security groups; the limit is {max}",
            desired.len()
        ))
        .with_note(format!(
            "current: {}; desired adds {}",
            list(cx, t.current.as_deref().unwrap_or_default()),
            list(cx, &joins)
        ));
        let unmanaged = unmanaged(cx);
        if !unmanaged.is_empty() {
            d = d.with_note(format!(
                "not managed by this configuration but counted: {}",
                unmanaged.join(", ")
            ));
        }
        let d = d.with_hint(
            "leave a group first, or set `max_groups_per_target` on the provider if your quota was raised",
        );
        cx.emit(
            Some(target),
            culprit,
            d,
            Some("InstanceSecurityGroupLimitExceeded"),
        );
    }
    let facts_of = |g: &SecurityGroupId| inventory.groups.get(g);
    let rules: u64 = desired
        .iter()
        .filter_map(facts_of)
        .map(|f| f.rule_count)
        .sum();
    if rules > limits.rules_per_target {
        let detail: Vec<String> = desired
            .iter()
            .filter_map(|g| {
                facts_of(g).map(|f| {
                    let rules = super::render::text::count(
                        usize::try_from(f.rule_count).unwrap_or(usize::MAX),
                        "rule",
                        "rules",
                    );
                    format!("{} ({rules})", cx.group(t, g))
                })
            })
            .collect();
        let d = Diagnostic::error(format!(
            "{shown} would carry {rules} security-group rules; the limit is {}",
            limits.rules_per_target
        ))
        .with_note(format!("groups after the plan: {}", detail.join(", ")))
        .with_hint("drop a group with many rules, or merge rules into fewer groups");
        cx.emit(Some(target), culprit, d, Some("AclLimitExceed"));
    }
    let types: BTreeMap<GroupType, Vec<&SecurityGroupId>> =
        desired.iter().fold(BTreeMap::new(), |mut m, g| {
            if let Some(f) = facts_of(g) {
                m.entry(f.group_type).or_insert_with(Vec::new).push(g);
            }
            m
        });
    if types.len() > 1 {
        let parts: Vec<String> = types
            .iter()
            .map(|(ty, gs)| {
                format!(
                    "{}: {}",
                    ty.as_str(),
                    gs.iter()
                        .map(|g| cx.group(t, g))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let d = Diagnostic::error(format!(
            "{shown} would mix normal and enterprise security groups"
        ))
        .with_note(format!("groups after the plan: {}", parts.join("; ")))
        .with_hint(
            "a target's groups must all be of one type: to switch type, declare the whole new set with `membership_set`",
        );
        cx.emit(
            Some(target),
            culprit,
            d,
            Some("InvalidOperation.MultiGroupType"),
        );
    }
}

/// The last-group refusal of a destroy plan: every group of the target is managed, so leaving
/// them all would break LeaveSecurityGroup's rule. Names the addresses that manage them and
/// the ways out: stop managing one (`state rm`, which keeps the pair in the cloud), or give
/// the target another group first.
fn last_group_on_destroy(
    shown: ShownTarget<'_, '_>,
    t: &TargetDiff<'_>,
    current: String,
) -> Diagnostic {
    let mut managers: Vec<&crate::ids::Address> = t.unwanted.values().flatten().collect();
    managers.sort();
    managers.dedup();
    let quoted: Vec<String> = managers
        .iter()
        .map(|a| {
            let a = a.to_string();
            if a.contains(['[', '"']) {
                format!("'{a}'")
            } else {
                a
            }
        })
        .collect();
    let named: Vec<String> = managers.iter().map(|a| format!("`{a}`")).collect();
    let kind = match shown.target {
        Target::Instance(_) => "an instance",
        Target::NetworkInterface(_) => "an ENI",
    };
    Diagnostic::error(format!(
        "destroy would leave {shown} with no security group"
    ))
    .with_note(format!(
        "current: {current}; every one is managed by {}, so destroy would leave them all",
        named.join(", ")
    ))
    .with_note(format!(
        "LeaveSecurityGroup refuses to remove the last group: {kind} must stay in at least one security group"
    ))
    .with_hint(format!(
        "stop managing it instead: `sgform state rm {}` forgets it without touching the cloud, and destroy then leaves that group in place; or first add {shown} to a group sgform does not manage, or leave it out with `--target`",
        quoted.first().map_or("ADDR", String::as_str)
    ))
}

/// Group capacity across all targets: the members a group ends with must fit.
fn check_capacity(cx: &mut Ctx<'_, '_>) {
    let mut delta: BTreeMap<&SecurityGroupId, (i64, Vec<&Target>)> = BTreeMap::new();
    for (target, t) in &cx.diff.targets {
        if !t.changes() || cx.out.blocked.contains(target) {
            continue;
        }
        for g in t.joins() {
            let e = delta.entry(g).or_default();
            e.0 += 1;
            e.1.push(target);
        }
        for g in t.leaves() {
            delta.entry(g).or_default().0 -= 1;
        }
    }
    for (g, (change, joiners)) in delta {
        let Some(facts) = cx.inventory.groups.get(g) else {
            continue;
        };
        let after = facts.member_count as i64 + change;
        if change <= 0 || after <= facts.capacity as i64 {
            continue;
        }
        let Some(first) = joiners.first() else {
            continue;
        };
        let t = &cx.diff.targets[*first];
        let gs = cx.group(t, g);
        let code = match facts.group_type {
            GroupType::Normal => "SecurityGroupInstanceLimitExceeded",
            GroupType::Enterprise => "InvalidOperation.NetworkInterfaceCountExceeded",
        };
        let d = Diagnostic::error(format!(
            "security group {gs} would hold {after} members; its capacity is {}",
            facts.capacity
        ))
        .with_note(format!(
            "it has {} now; the plan adds {} and removes {}",
            match facts.member_count {
                1 => "1 member".to_owned(),
                n => format!("{n} members"),
            },
            joiners.len(),
            joiners.len() as i64 - change
        ))
        .with_hint("move some targets to another group, or ask for a higher quota");
        let culprit = t.culprit(Some(g));
        cx.emit(None, culprit, d, Some(code));
        for target in joiners {
            cx.out.blocked.insert(target.clone());
        }
    }
}
