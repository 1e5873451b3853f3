//! What `apply FILE` checks before it carries a saved plan out: the configuration, the
//! variables and the state are those it was made from ([`check_fresh`]), this run talks to
//! what it was made against ([`check_connection`]), the planner gives the recorded plan from
//! the recorded inputs ([`check_derived`]), and a fresh refresh shows the targets it changes
//! as it assumed them ([`check_remote`]). Each failure names every difference.

use std::collections::BTreeMap;
use std::fmt;

use super::{ConfigDigest, Connection, PlanFile};
use crate::ids::Target;
use crate::plan::inventory::Inventory;
use crate::plan::model::Plan;
use crate::plan::render::Mask;
use crate::state::State;

/// One thing that changed since the plan was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    ConfigFileChanged(String),
    ConfigFileAdded(String),
    ConfigFileRemoved(String),
    /// A non-sensitive variable has another value (or is set only now, or only then).
    VariableChanged(String),
    LineageDiffers {
        plan: String,
        state: String,
    },
    SerialMoved {
        from: u64,
        to: u64,
    },
    /// Targets are named as they may be shown (`(sensitive value)` for a sensitive one).
    TargetGone(String),
    TargetStatusChanged {
        target: String,
        from: String,
        to: String,
    },
    TargetGroupsChanged(String),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lineage = |l: &str| {
            if l.is_empty() {
                "none (no state yet)".to_owned()
            } else {
                format!("`{l}`")
            }
        };
        match self {
            Change::ConfigFileChanged(p) => write!(f, "configuration file `{p}` changed"),
            Change::ConfigFileAdded(p) => write!(f, "configuration file `{p}` was added"),
            Change::ConfigFileRemoved(p) => write!(f, "configuration file `{p}` was removed"),
            Change::VariableChanged(name) => write!(
                f,
                "variable `{name}` has another value than when the plan was made"
            ),
            Change::LineageDiffers { plan, state } => write!(
                f,
                "the state's lineage differs: the plan was made against {}, the state is {}",
                lineage(plan),
                lineage(state)
            ),
            Change::SerialMoved { from, to } => {
                write!(f, "the state serial moved from {from} to {to}")
            }
            Change::TargetGone(t) => write!(f, "`{t}` is no longer found"),
            Change::TargetStatusChanged { target, from, to } => {
                write!(f, "`{target}` was {from} and is now {to}")
            }
            // No group IDs: saying which would need the mask here too, for little gain.
            Change::TargetGroupsChanged(t) => {
                write!(f, "the security groups of `{t}` changed outside sgform")
            }
        }
    }
}

/// The plan no longer matches what it was made from; each change is named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved plan is stale: {}; run `sgform plan` again", list(.changes))]
pub struct Stale {
    pub changes: Vec<Change>,
}

fn list(changes: &[impl ToString]) -> String {
    changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn stale(changes: Vec<Change>) -> Result<(), Stale> {
    if changes.is_empty() {
        Ok(())
    } else {
        Err(Stale { changes })
    }
}

/// Whether `file` still fits the configuration (`digest`, as [`ConfigDigest::of`] computes it
/// now), the non-sensitive `variables` (name → display value, as
/// [`super::non_sensitive`] gives them) and the state: every file the same, every variable the
/// same, the same lineage and serial (Terraform's check).
pub fn check_fresh(
    file: &PlanFile,
    digest: &ConfigDigest,
    variables: &BTreeMap<String, String>,
    state: &State,
) -> Result<(), Stale> {
    let mut changes = Vec::new();
    let (then, now) = (&file.configuration.files.files, &digest.files);
    for (path, hash) in then {
        match now.get(path) {
            None => changes.push(Change::ConfigFileRemoved(path.clone())),
            Some(h) if h != hash => changes.push(Change::ConfigFileChanged(path.clone())),
            Some(_) => {}
        }
    }
    for path in now.keys().filter(|p| !then.contains_key(*p)) {
        changes.push(Change::ConfigFileAdded(path.clone()));
    }
    let names: std::collections::BTreeSet<&String> =
        file.variables.keys().chain(variables.keys()).collect();
    for name in names {
        if file.variables.get(name) != variables.get(name) {
            changes.push(Change::VariableChanged(name.clone()));
        }
    }
    if file.state.lineage != state.lineage {
        changes.push(Change::LineageDiffers {
            plan: file.state.lineage.clone(),
            state: state.lineage.clone(),
        });
    } else if file.state.serial != state.serial {
        changes.push(Change::SerialMoved {
            from: file.state.serial,
            to: state.serial,
        });
    }
    stale(changes)
}

/// This run talks to something else than the plan was made against; each difference named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the saved plan was made against another cloud: {}; run `sgform plan` against this one (or apply the plan where it was made)",
    list(.differences)
)]
pub struct Elsewhere {
    pub differences: Vec<String>,
}

fn against(connection: &Connection, provider: Option<&super::ProviderRef>) -> String {
    match (
        &connection.sandbox,
        provider.and_then(|p| p.endpoint.as_deref()),
    ) {
        (Some(world), _) => format!("the sandbox (world `{world}`)"),
        (None, Some(endpoint)) => format!("endpoint `{endpoint}`"),
        (None, None) => "the default endpoint".to_owned(),
    }
}

/// Whether this run's clients (`now`) talk to what the plan's did: the sandbox and its world,
/// or each provider's endpoint; each provider's region and access key ID.
pub fn check_connection(file: &PlanFile, now: &Connection) -> Result<(), Elsewhere> {
    let then = &file.connection;
    let mut differences = Vec::new();
    if then.sandbox.is_some() != now.sandbox.is_some() {
        // One line for the whole connection: every provider follows the sandbox.
        let endpoints = |c: &Connection| {
            if c.sandbox.is_some() {
                return against(c, None);
            }
            let all: Vec<String> = c
                .providers
                .iter()
                .map(|(name, p)| match &p.endpoint {
                    Some(e) => format!("endpoint `{e}` (provider `{name}`)"),
                    // No `endpoint` attribute: the cloud's own endpoint for the region.
                    None => format!(
                        "the default endpoint of region `{}` (provider `{name}`)",
                        p.region
                    ),
                })
                .collect();
            all.join(", ")
        };
        differences.push(format!(
            "the plan was made against {} but this run talks to {}",
            endpoints(then),
            endpoints(now)
        ));
        return Err(Elsewhere { differences });
    }
    if then.sandbox != now.sandbox {
        differences.push(format!(
            "the plan was made against {} but this run talks to {}",
            against(then, None),
            against(now, None)
        ));
    }
    for (name, was) in &then.providers {
        let Some(is) = now.providers.get(name) else {
            differences.push(format!(
                "provider `{name}` was in the plan but has no client in this run"
            ));
            continue;
        };
        if was.endpoint != is.endpoint {
            differences.push(format!(
                "provider `{name}`: the plan was made against {} but this run talks to {}",
                against(then, Some(was)),
                against(now, Some(is))
            ));
        }
        if was.region != is.region {
            differences.push(format!(
                "provider `{name}`: the plan was made in region `{}` but this run uses `{}`",
                was.region, is.region
            ));
        }
        if was.access_key_id != is.access_key_id {
            differences.push(format!(
                "provider `{name}`: the plan was made with access key ID `{}` but this run uses `{}`",
                was.access_key_id, is.access_key_id
            ));
        }
    }
    for name in now.providers.keys() {
        if !then.providers.contains_key(name) {
            differences.push(format!("provider `{name}` was not in the plan"));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(Elsewhere { differences })
    }
}

/// The plan file's plan is not what the planner gives from its recorded inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the plan file's {} differ from what its recorded inputs give: it was edited, or made by another sgform version; run `sgform plan` again",
    list(.parts)
)]
pub struct Edited {
    /// Which parts differ: `operations`, `adoptions`, `forgets`, `drift`, `resource changes`,
    /// `targets`, `destroy flag`.
    pub parts: Vec<&'static str>,
}

/// Whether `derived` (the planner's plan from the file's recorded inventory and options, the
/// configuration and the state) is exactly the file's plan.
pub fn check_derived(file: &PlanFile, derived: &Plan) -> Result<(), Edited> {
    let saved = &file.plan;
    let mut parts = Vec::new();
    if saved.operations != derived.operations {
        parts.push("operations");
    }
    if saved.adopt != derived.adopt {
        parts.push("adoptions");
    }
    if saved.forget != derived.forget {
        parts.push("forgets");
    }
    if saved.drift != derived.drift {
        parts.push("drift");
    }
    if saved.resource_changes != derived.resource_changes {
        parts.push("resource changes");
    }
    if saved.targets != derived.targets {
        parts.push("targets");
    }
    if saved.destroy != derived.destroy || file.options.destroy != saved.destroy {
        parts.push("destroy flag");
    }
    if parts.is_empty() {
        Ok(())
    } else {
        Err(Edited { parts })
    }
}

/// Whether every target the plan changes still has the status and groups the plan relied on,
/// from a fresh refresh of those targets (apply's re-check before the first call).
pub fn check_remote(file: &PlanFile, inventory: &Inventory) -> Result<(), Stale> {
    let mask = Mask::of(&file.plan);
    let mut changes = Vec::new();
    for (target, assumed) in &file.plan.targets {
        let shown = mask.target(target).to_owned();
        let status = match target {
            Target::Instance(id) => inventory.instances.get(id).map(|i| &i.status),
            Target::NetworkInterface(id) => inventory.network_interfaces.get(id).map(|e| &e.status),
        };
        let (Some(status), Some(groups)) = (status, inventory.groups_of(target)) else {
            changes.push(Change::TargetGone(shown));
            continue;
        };
        if *status != assumed.status {
            changes.push(Change::TargetStatusChanged {
                target: shown.clone(),
                from: assumed.status.clone(),
                to: status.clone(),
            });
        }
        let mut then = assumed.before.clone();
        let mut now = groups.to_vec();
        then.sort();
        now.sort();
        if then != now {
            changes.push(Change::TargetGroupsChanged(shown));
        }
    }
    stale(changes)
}
