//! The plan file (`sgform plan --out FILE`): a saved [`Plan`] with what apply needs to refuse a
//! stale one. Pure: bytes in, bytes out; the CLI reads and writes the file.
//!
//! **API Boundary:** the plan file format. A JSON document:
//!
//! ```text
//! { "format": "sgform-plan", "version": 1, "sgform_version": "0.1.0",
//!   "configuration": { "main.hcl": "<sha1 hex of path NUL content>", ... },
//!   "variables": { "env": "\"prod\"", ... },          // non-sensitive only, display values
//!   "state": { "lineage": "…", "serial": 3 },
//!   "remote": { "i-…": { "status": "Running", "security_group_ids": [...] }, ... },
//!   "plan": { "destroy"?: true, ...the Plan... } }
//! ```
//!
//! `plan.destroy` is present, as `true`, only in a destroy plan (`sgform plan --destroy`):
//! apply and show read it from there, and a file without it is an ordinary plan.
//!
//! What never goes in: credentials (the plan has none), and the values of sensitive variables
//! (`variables` lists only the others). The IDs the plan operates on are there in clear, as
//! they are in the state: apply needs them, and a renderer masks the sensitive ones again from
//! the plan's `sensitive` marks, so `sgform show` prints what `sgform plan` printed.
//!
//! A file of a newer `version`, of another `format`, or that does not parse is refused with an
//! error naming the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha1::{Digest as _, Sha1};

use super::inventory::Inventory;
use super::model::Plan;
use super::render::Mask;
use crate::ids::{SecurityGroupId, Target};
use crate::state::State;

/// The `format` field of every plan file.
pub const FORMAT: &str = "sgform-plan";

/// The plan-file version this sgform writes and the newest it reads.
pub const VERSION: u32 = 1;

/// A digest of the configuration files: file path (relative to the configuration directory)
/// → hex SHA-1 of the path, a NUL byte and the content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigDigest {
    pub files: BTreeMap<String, String>,
}

impl ConfigDigest {
    /// The digest of `(relative path, content)` pairs.
    pub fn of<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let files = files
            .into_iter()
            .map(|(path, text)| {
                let mut h = Sha1::new();
                h.update(path.as_bytes());
                h.update([0u8]);
                h.update(text.as_bytes());
                (path.to_owned(), hex(&h.finalize()))
            })
            .collect();
        Self { files }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Which state the plan was made against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRef {
    /// Empty when there was no state yet.
    pub lineage: String,
    pub serial: u64,
}

/// What the plan relied on about one target it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFact {
    pub status: String,
    pub security_group_ids: Vec<SecurityGroupId>,
}

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    pub format: String,
    pub version: u32,
    pub sgform_version: String,
    pub configuration: ConfigDigest,
    /// Non-sensitive variables: name → display value.
    pub variables: BTreeMap<String, String>,
    pub state: StateRef,
    /// Each target an operation changes: its status and groups as the refresh saw them.
    pub remote: BTreeMap<Target, RemoteFact>,
    pub plan: Plan,
}

impl PlanFile {
    /// A plan file for `plan`, made from `configuration` and `state`. `variables` are
    /// `(name, display value, sensitive)`; sensitive ones are left out.
    pub fn new<'a>(
        plan: Plan,
        configuration: ConfigDigest,
        variables: impl IntoIterator<Item = (&'a str, String, bool)>,
        state: &State,
    ) -> Self {
        let remote = plan
            .targets
            .iter()
            .map(|(target, t)| {
                (
                    target.clone(),
                    RemoteFact {
                        status: t.status.clone(),
                        security_group_ids: t.before.clone(),
                    },
                )
            })
            .collect();
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            sgform_version: env!("CARGO_PKG_VERSION").to_owned(),
            configuration,
            variables: variables
                .into_iter()
                .filter(|(_, _, sensitive)| !sensitive)
                .map(|(name, value, _)| (name.to_owned(), value))
                .collect(),
            state: StateRef {
                lineage: state.lineage.clone(),
                serial: state.serial,
            },
            remote,
            plan,
        }
    }

    /// The file's bytes: compact JSON (a plan of 100,000 calls is large enough that the
    /// indentation would cost a third of it; `sgform show --json` is the readable form), with
    /// a trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).unwrap_or_else(|e| {
            // IDs, strings, numbers and maps with string keys: serialisation cannot fail.
            unreachable!("plan file serialisation failed: {e}")
        });
        bytes.push(b'\n');
        bytes
    }

    /// Parses a plan file; `path` names it in errors.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<PlanFile, Error> {
        // One full parse on the happy path (a large plan is tens of megabytes); only when it
        // fails, or the header is wrong, does the header decide which error to give, so a
        // newer or foreign file is reported as such and not as a parse error of some field
        // it has changed.
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let corrupt = |reason: String| Error::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let parsed = serde_json::from_slice::<PlanFile>(bytes);
        if let Ok(file) = &parsed
            && file.format == FORMAT
            && file.version <= VERSION
        {
            return parsed.map_err(|e| corrupt(e.to_string()));
        }
        let header: Header = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(Error::NotAPlanFile {
                path: path.to_path_buf(),
            });
        }
        match header.version {
            None => Err(corrupt("it has no `version` field".to_owned())),
            Some(v) if v > VERSION => Err(Error::NewerVersion {
                path: path.to_path_buf(),
                found: v,
            }),
            Some(_) => parsed.map_err(|e| corrupt(e.to_string())),
        }
    }
}

/// Why a plan file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("plan file `{}` is corrupt: {reason}; run `sgform plan --out` again", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "plan file `{}` has format version {found}, newer than this sgform understands ({VERSION}); upgrade sgform or plan again with this one",
        path.display()
    )]
    NewerVersion { path: PathBuf, found: u32 },
    #[error("`{}` is not an sgform plan file (no `\"format\": \"{FORMAT}\"`)", path.display())]
    NotAPlanFile { path: PathBuf },
}

/// One thing that changed since the plan was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    ConfigFileChanged(String),
    ConfigFileAdded(String),
    ConfigFileRemoved(String),
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

fn list(changes: &[Change]) -> String {
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
/// now) and the state: every file the same, the same lineage and serial (Terraform's check).
pub fn check_fresh(file: &PlanFile, digest: &ConfigDigest, state: &State) -> Result<(), Stale> {
    let mut changes = Vec::new();
    let (then, now) = (&file.configuration.files, &digest.files);
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

/// Whether every target the plan changes still has the status and groups the plan relied on,
/// from a fresh refresh of those targets (apply's re-check before the first call).
pub fn check_remote(file: &PlanFile, inventory: &Inventory) -> Result<(), Stale> {
    let mask = Mask::of(&file.plan);
    let mut changes = Vec::new();
    for (target, fact) in &file.remote {
        let shown = mask.target(target).to_owned();
        let status = match target {
            Target::Instance(id) => inventory.instances.get(id).map(|i| &i.status),
            Target::NetworkInterface(id) => inventory.network_interfaces.get(id).map(|e| &e.status),
        };
        let (Some(status), Some(groups)) = (status, inventory.groups_of(target)) else {
            changes.push(Change::TargetGone(shown));
            continue;
        };
        if *status != fact.status {
            changes.push(Change::TargetStatusChanged {
                target: shown.clone(),
                from: fact.status.clone(),
                to: status.clone(),
            });
        }
        let mut then = fact.security_group_ids.clone();
        let mut now = groups.to_vec();
        then.sort();
        now.sort();
        if then != now {
            changes.push(Change::TargetGroupsChanged(shown));
        }
    }
    stale(changes)
}

#[cfg(test)]
mod tests;
