//! The plan file (`sgform plan --out FILE`): a saved [`Plan`] with the inputs it was made from,
//! so that `apply FILE` can run it only where and as it was made. Pure: bytes in, bytes out,
//! and checks over values; `ops::plan` reads and writes the file.
//!
//! **API Boundary:** the plan file format. A JSON document (version 2):
//!
//! ```text
//! { "format": "sgform-plan", "version": 2, "sgform_version": "0.1.0",
//!   "configuration": {
//!     "directory": "infra",                  // relative to the plan file's directory
//!     "absolute": "/home/ci/repo/infra",     // where it was when the plan was made
//!     "files": { "main.hcl": "<sha1 hex of path NUL content>", ... } },
//!   "variables": { "env": "\"prod\"", ... },  // non-sensitive only, display values
//!   "state": { "lineage": "…", "serial": 3 },
//!   "connection": {
//!     "sandbox"?: "world.json",              // the sandbox's world, relative to the configuration
//!     "providers": { "alicloud": { "endpoint"?: "https://ecs.cn-hangzhou.aliyuncs.com",
//!                                   "region": "cn-hangzhou", "access_key_id": "LTAI…" } } },
//!   "options": { "targets": [...], "refresh_only": false, "destroy": false },
//!   "inventory": { ...every fact the refresh read, data-source results included... },
//!   "plan": { "destroy"?: true, ...the Plan... } }
//! ```
//!
//! **Where the configuration is.** `apply FILE` loads the configuration from
//! `configuration.directory` taken relative to the directory the plan file is in, else from
//! `configuration.absolute`; the first of them whose `*.hcl` files have the recorded digests
//! wins (else the first that exists, and the digest check names what changed). So the file
//! works from any working directory, in a moved checkout (the file moves with it), and in CI
//! where the apply job downloads it into another checkout of the same repository at the same
//! place, or anywhere while the plan job's checkout path exists. The default state is the one
//! beside that configuration, as for `plan`.
//!
//! **What it was made against.** Per provider: the endpoint (none for the embedded sandbox,
//! whose port changes every run; the sandbox's world is recorded instead), the region and the
//! access key ID — never the secret, never an STS token. `apply` refuses the file when this
//! run talks to anything else ([`check_connection`]), and when the state's lineage or serial,
//! a configuration file or a non-sensitive variable differ ([`check_fresh`]).
//!
//! **Re-derived, not trusted.** The planner is pure and deterministic: `apply` re-runs it on
//! the configuration, the state, the recorded `inventory` and `options`, and refuses the file
//! unless it gives exactly the recorded `plan` ([`check_derived`]): an edited operation, adoption
//! or forget is refused even though every digest still matches. Then a fresh refresh of the
//! targets the plan changes must still show the status and groups it assumed
//! ([`check_remote`]).
//!
//! `plan.destroy` is present, as `true`, only in a destroy plan (`sgform plan --destroy`).
//!
//! What never goes in: credentials (the access key ID is not one), and the values of sensitive
//! variables (`variables` lists only the others). The IDs the plan operates on are there in
//! clear, as they are in the state: apply needs them, and a renderer masks the sensitive ones
//! again from the plan's `sensitive` marks, so `sgform show` prints what `sgform plan` printed.
//!
//! A file of another `version` (older files record none of the above and are refused too), of
//! another `format`, or that does not parse is refused with an error naming the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha1::{Digest as _, Sha1};

use super::inventory::Inventory;
use super::model::{Plan, PlanOptions};
use crate::ids::Address;
use crate::state::State;

mod checks;

pub use checks::{
    Change, Edited, Elsewhere, Stale, check_connection, check_derived, check_fresh, check_remote,
};

/// The `format` field of every plan file.
pub const FORMAT: &str = "sgform-plan";

/// The plan-file version this sgform writes and the only one it reads.
pub const VERSION: u32 = 2;

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

/// Where the configuration was, and what it was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// The configuration directory relative to the plan file's directory (`.` when they are
    /// the same), `/`-separated.
    pub directory: String,
    /// The configuration directory's absolute path when the plan was made.
    pub absolute: String,
    pub files: ConfigDigest,
}

/// Which state the plan was made against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRef {
    /// Empty when there was no state yet.
    pub lineage: String,
    pub serial: u64,
}

/// What the plan's clients talked to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The embedded sandbox's world, relative to the configuration directory (absolute when it
    /// is on another file system root); `None`: the providers' own endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    /// By provider name (`alicloud`, `alicloud.ALIAS`).
    pub providers: BTreeMap<String, ProviderRef>,
}

/// What one provider's client talked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRef {
    /// The API endpoint; `None` on the sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub region: String,
    /// The access key ID (never the secret or a token).
    pub access_key_id: String,
}

/// The plan's options ([`PlanOptions`]), as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    pub targets: Vec<Address>,
    pub refresh_only: bool,
    pub destroy: bool,
}

impl From<&PlanOptions> for Options {
    fn from(o: &PlanOptions) -> Self {
        Self {
            targets: o.targets.clone(),
            refresh_only: o.refresh_only,
            destroy: o.destroy,
        }
    }
}

impl From<&Options> for PlanOptions {
    fn from(o: &Options) -> Self {
        Self {
            targets: o.targets.clone(),
            refresh_only: o.refresh_only,
            destroy: o.destroy,
        }
    }
}

/// What a plan was made from, besides the state: what [`PlanFile::new`] records.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub configuration: Configuration,
    /// Every variable: `(name, display value, sensitive)`; sensitive ones are left out.
    pub variables: Vec<(String, String, bool)>,
    pub connection: Connection,
    pub options: Options,
    pub inventory: Inventory,
}

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    pub format: String,
    pub version: u32,
    pub sgform_version: String,
    pub configuration: Configuration,
    /// Non-sensitive variables: name → display value.
    pub variables: BTreeMap<String, String>,
    pub state: StateRef,
    pub connection: Connection,
    pub options: Options,
    /// Everything the refresh read: the planner's input besides the configuration and state.
    pub inventory: Inventory,
    pub plan: Plan,
}

/// The non-sensitive variables of `(name, display value, sensitive)` triples.
pub fn non_sensitive(variables: &[(String, String, bool)]) -> BTreeMap<String, String> {
    variables
        .iter()
        .filter(|(_, _, sensitive)| !sensitive)
        .map(|(name, value, _)| (name.clone(), value.clone()))
        .collect()
}

impl PlanFile {
    /// A plan file for `plan`, made from `inputs` and `state`.
    pub fn new(plan: Plan, inputs: Inputs, state: &State) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            sgform_version: env!("CARGO_PKG_VERSION").to_owned(),
            configuration: inputs.configuration,
            variables: non_sensitive(&inputs.variables),
            state: StateRef {
                lineage: state.lineage.clone(),
                serial: state.serial,
            },
            connection: inputs.connection,
            options: inputs.options,
            inventory: inputs.inventory,
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
        // fails, or the header is wrong, does the header decide which error to give, so an
        // older, newer or foreign file is reported as such and not as a parse error of some
        // field it has changed.
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
            && file.version == VERSION
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
            Some(v) if v < VERSION => Err(Error::OlderVersion {
                path: path.to_path_buf(),
                found: v,
            }),
            Some(_) => parsed.map_err(|e| corrupt(e.to_string())),
        }
    }
}

/// Whether `head` (the first bytes of a file) starts as a plan file does: `{`, then the
/// `"format": "sgform-plan"` member, JSON whitespace allowed between the tokens. What
/// `plan --out` checks before it replaces an existing file.
pub fn looks_like_plan_file(head: &[u8]) -> bool {
    let mut rest = head;
    for token in [&b"{"[..], b"\"format\"", b":", b"\"sgform-plan\""] {
        let start = rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(rest.len());
        rest = &rest[start..];
        let Some(after) = rest.strip_prefix(token) else {
            return false;
        };
        rest = after;
    }
    true
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
    #[error(
        "plan file `{}` has format version {found}, from an older sgform: it does not record what it was made against or from ({VERSION} does); run `sgform plan --out` again",
        path.display()
    )]
    OlderVersion { path: PathBuf, found: u32 },
    #[error("`{}` is not an sgform plan file (no `\"format\": \"{FORMAT}\"`)", path.display())]
    NotAPlanFile { path: PathBuf },
}

#[cfg(test)]
mod tests;
