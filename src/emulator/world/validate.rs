//! The checks that refuse an impossible world at start, each naming the entry it is about.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use super::{
    ENI_STATUSES, ENI_TYPES, GroupType, INSTANCE_STATUSES, Instance, Limits, NetworkInterface,
    NetworkType, SecurityGroup, Vpc, WorldFile,
};
use crate::emulator::id_format::well_formed;

/// An error in a world file, naming the entry (`instances[2] \`i-abc\``) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldProblem {
    pub entry: String,
    pub problem: String,
}

impl fmt::Display for WorldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.entry, self.problem)
    }
}

/// Every problem of a world file, in file order.
pub fn validate(file: &WorldFile) -> Vec<WorldProblem> {
    let mut problems = Vec::new();
    let mut problem = |entry: String, text: String| {
        problems.push(WorldProblem {
            entry,
            problem: text,
        })
    };
    if file.limits.groups_per_target == 0 {
        problem(
            "limits".into(),
            "`groups_per_target` must be at least 1".into(),
        );
    }

    let mut accounts = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for (n, a) in file.accounts.iter().enumerate() {
        let entry = format!("accounts[{n}] `{}`", a.id);
        if !accounts.insert(a.id.as_str()) {
            problem(entry.clone(), "duplicate account id".into());
        }
        for (k, key) in a.access_keys.iter().enumerate() {
            if !keys.insert(key.id.as_str()) {
                problem(
                    format!("{entry} access_keys[{k}] `{}`", key.id),
                    "duplicate access key id".into(),
                );
            }
            if key.secret.is_empty() {
                problem(
                    format!("{entry} access_keys[{k}] `{}`", key.id),
                    "empty `secret`".into(),
                );
            }
        }
    }

    let owner_check = |entry: &str, owner: &str, problems: &mut Vec<(String, String)>| {
        if !accounts.contains(owner) {
            problems.push((entry.to_owned(), format!("unknown owner account `{owner}`")));
        }
    };
    let mut deferred: Vec<(String, String)> = Vec::new();

    let mut vpcs: HashMap<&str, &Vpc> = HashMap::new();
    for (n, v) in file.vpcs.iter().enumerate() {
        let entry = format!("vpcs[{n}] `{}`", v.id);
        if vpcs.insert(&v.id, v).is_some() {
            deferred.push((entry.clone(), "duplicate vpc id".into()));
        }
        owner_check(&entry, &v.owner, &mut deferred);
    }

    let mut groups: HashMap<&str, &SecurityGroup> = HashMap::new();
    for (n, g) in file.security_groups.iter().enumerate() {
        let entry = format!("security_groups[{n}] `{}`", g.id);
        if groups.insert(&g.id, g).is_some() {
            deferred.push((entry.clone(), "duplicate security group id".into()));
        }
        owner_check(&entry, &g.owner, &mut deferred);
        if let Some(vpc) = &g.vpc_id {
            match vpcs.get(vpc.as_str()) {
                None => deferred.push((entry, format!("unknown vpc `{vpc}`"))),
                Some(v) if v.region != g.region => deferred.push((
                    entry,
                    format!(
                        "vpc `{vpc}` is in region `{}`, not `{}`",
                        v.region, g.region
                    ),
                )),
                Some(_) => {}
            }
        }
    }

    let mut instances: HashMap<&str, &Instance> = HashMap::new();
    for (n, i) in file.instances.iter().enumerate() {
        let entry = format!("instances[{n}] `{}`", i.id);
        if instances.insert(&i.id, i).is_some() {
            deferred.push((entry.clone(), "duplicate instance id".into()));
        }
        owner_check(&entry, &i.owner, &mut deferred);
        if !INSTANCE_STATUSES.contains(&i.status.as_str()) {
            deferred.push((
                entry.clone(),
                format!(
                    "unknown status `{}` (one of {})",
                    i.status,
                    INSTANCE_STATUSES.join(", ")
                ),
            ));
        }
        if let Some(t) = &i.transition
            && !INSTANCE_STATUSES.contains(&t.to.as_str())
        {
            deferred.push((
                entry.clone(),
                format!("unknown transition status `{}`", t.to),
            ));
        }
        match (i.network_type, &i.vpc_id) {
            (NetworkType::Vpc, None) => {
                deferred.push((entry.clone(), "a vpc instance needs `vpc_id`".into()))
            }
            (NetworkType::Classic, Some(_)) => deferred.push((
                entry.clone(),
                "a classic instance cannot have `vpc_id`".into(),
            )),
            (NetworkType::Vpc, Some(vpc)) => match vpcs.get(vpc.as_str()) {
                None => deferred.push((entry.clone(), format!("unknown vpc `{vpc}`"))),
                Some(v) if v.region != i.region => deferred.push((
                    entry.clone(),
                    format!(
                        "vpc `{vpc}` is in region `{}`, not `{}`",
                        v.region, i.region
                    ),
                )),
                Some(_) => {}
            },
            (NetworkType::Classic, None) => {}
        }
        check_set(
            &entry,
            &i.security_group_ids,
            &i.region,
            &i.owner,
            i.vpc_id.as_deref(),
            i.supports_enterprise_groups,
            &groups,
            &file.limits,
            &mut deferred,
        );
    }

    let mut enis: HashMap<&str, &NetworkInterface> = HashMap::new();
    let mut primary_of: HashMap<&str, &str> = HashMap::new();
    for (n, e) in file.network_interfaces.iter().enumerate() {
        let entry = format!("network_interfaces[{n}] `{}`", e.id);
        if enis.insert(&e.id, e).is_some() {
            deferred.push((entry.clone(), "duplicate network interface id".into()));
        }
        owner_check(&entry, &e.owner, &mut deferred);
        if !ENI_TYPES.contains(&e.eni_type.as_str()) {
            deferred.push((
                entry.clone(),
                format!(
                    "unknown type `{}` (one of {})",
                    e.eni_type,
                    ENI_TYPES.join(", ")
                ),
            ));
        }
        if !ENI_STATUSES.contains(&e.status.as_str()) {
            deferred.push((
                entry.clone(),
                format!(
                    "unknown status `{}` (one of {})",
                    e.status,
                    ENI_STATUSES.join(", ")
                ),
            ));
        }
        match &e.vpc_id {
            None => deferred.push((entry.clone(), "a network interface needs `vpc_id`".into())),
            Some(vpc) => match vpcs.get(vpc.as_str()) {
                None => deferred.push((entry.clone(), format!("unknown vpc `{vpc}`"))),
                Some(v) if v.region != e.region => deferred.push((
                    entry.clone(),
                    format!(
                        "vpc `{vpc}` is in region `{}`, not `{}`",
                        v.region, e.region
                    ),
                )),
                Some(_) => {}
            },
        }
        let inst = match &e.instance_id {
            None => None,
            Some(id) => match instances.get(id.as_str()) {
                None => {
                    deferred.push((entry.clone(), format!("unknown instance `{id}`")));
                    None
                }
                Some(inst) => {
                    if inst.vpc_id != e.vpc_id {
                        deferred.push((
                            entry.clone(),
                            format!("instance `{id}` is not in the interface's vpc"),
                        ));
                    }
                    Some(*inst)
                }
            },
        };
        if e.eni_type == "Primary" {
            match inst {
                None if e.instance_id.is_none() => deferred.push((
                    entry.clone(),
                    "a primary network interface needs `instance_id`".into(),
                )),
                None => {}
                Some(inst) => {
                    if let Some(other) = primary_of.insert(&inst.id, &e.id) {
                        deferred.push((
                            entry.clone(),
                            format!("instance `{}` already has primary `{other}`", inst.id),
                        ));
                    }
                    let mine: BTreeSet<_> = e.security_group_ids.iter().collect();
                    let theirs: BTreeSet<_> = inst.security_group_ids.iter().collect();
                    if !mine.is_empty() && mine != theirs {
                        deferred.push((
                            entry.clone(),
                            format!(
                                "a primary network interface shares its instance's groups; \
                                 leave `security_group_ids` empty or equal to `{}`'s",
                                inst.id
                            ),
                        ));
                    }
                }
            }
        } else {
            let supports = inst.is_none_or(|i| i.supports_enterprise_groups);
            check_set(
                &entry,
                &e.security_group_ids,
                &e.region,
                &e.owner,
                e.vpc_id.as_deref(),
                supports,
                &groups,
                &file.limits,
                &mut deferred,
            );
        }
    }

    // Group capacity, counted over instances and non-primary ENIs.
    let mut members: BTreeMap<&str, u64> = BTreeMap::new();
    for set in file.instances.iter().map(|i| &i.security_group_ids).chain(
        file.network_interfaces
            .iter()
            .filter(|e| e.eni_type != "Primary")
            .map(|e| &e.security_group_ids),
    ) {
        for g in set {
            *members.entry(g.as_str()).or_insert(0) += 1;
        }
    }
    for (n, g) in file.security_groups.iter().enumerate() {
        let count = members.get(g.id.as_str()).copied().unwrap_or(0);
        if count > g.capacity {
            deferred.push((
                format!("security_groups[{n}] `{}`", g.id),
                format!("{count} members exceed its capacity {}", g.capacity),
            ));
        }
    }

    // IDs must look like real ones, or no request could ever name them.
    let id_lists: [(&str, &str, Vec<&str>); 4] = [
        (
            "vpcs",
            "vpc-",
            file.vpcs.iter().map(|v| v.id.as_str()).collect(),
        ),
        (
            "security_groups",
            "sg-",
            file.security_groups.iter().map(|g| g.id.as_str()).collect(),
        ),
        (
            "instances",
            "i-",
            file.instances.iter().map(|i| i.id.as_str()).collect(),
        ),
        (
            "network_interfaces",
            "eni-",
            file.network_interfaces
                .iter()
                .map(|e| e.id.as_str())
                .collect(),
        ),
    ];
    for (list, prefix, list_ids) in id_lists {
        for (n, id) in list_ids.into_iter().enumerate() {
            if !well_formed(id, prefix) {
                deferred.push((
                    format!("{list}[{n}] `{id}`"),
                    format!(
                        "malformed id: `{prefix}` followed by 8 to 32 lower-case letters and digits"
                    ),
                ));
            }
        }
    }

    for (entry, text) in deferred {
        problem(entry, text);
    }
    problems
}

#[allow(clippy::too_many_arguments)]
fn check_set(
    entry: &str,
    set: &[String],
    region: &str,
    owner: &str,
    vpc: Option<&str>,
    supports_enterprise: bool,
    groups: &HashMap<&str, &SecurityGroup>,
    limits: &Limits,
    out: &mut Vec<(String, String)>,
) {
    let mut seen = BTreeSet::new();
    let mut types = BTreeSet::new();
    let mut rules = 0u64;
    for g in set {
        if !seen.insert(g.as_str()) {
            out.push((
                entry.to_owned(),
                format!("security group `{g}` listed twice"),
            ));
        }
        let Some(group) = groups.get(g.as_str()) else {
            out.push((entry.to_owned(), format!("unknown security group `{g}`")));
            continue;
        };
        if group.region != region {
            out.push((
                entry.to_owned(),
                format!("security group `{g}` is in region `{}`", group.region),
            ));
        }
        if group.owner != owner {
            out.push((
                entry.to_owned(),
                format!("security group `{g}` belongs to account `{}`", group.owner),
            ));
        }
        if group.vpc_id.as_deref() != vpc {
            out.push((
                entry.to_owned(),
                format!("security group `{g}` is not in the same vpc (or network type)"),
            ));
        }
        if group.group_type == GroupType::Enterprise && !supports_enterprise {
            out.push((
                entry.to_owned(),
                format!(
                    "enterprise security group `{g}` on an instance that does not support them"
                ),
            ));
        }
        types.insert(group.group_type);
        rules += group.rule_count;
    }
    if set.len() > limits.groups_per_target {
        out.push((
            entry.to_owned(),
            format!(
                "{} security groups exceed `groups_per_target` {}",
                set.len(),
                limits.groups_per_target
            ),
        ));
    }
    if types.len() > 1 {
        out.push((
            entry.to_owned(),
            "mixes normal and enterprise security groups".into(),
        ));
    }
    if rules > limits.rules_per_target {
        out.push((
            entry.to_owned(),
            format!(
                "its groups have {rules} rules, over `rules_per_target` {}",
                limits.rules_per_target
            ),
        ));
    }
}
