//! Reading a state document: the version first (so a newer format is reported as such and not
//! as a parse error), then the document, then what the types cannot say. Each check names the
//! state and the entry: a state sgform would misread is refused, never guessed at.
//!
//! - `version` is [`VERSION`]: a newer one asks for an upgrade; any other (0, say) was never
//!   written by sgform.
//! - `lineage` is a UUID in its hyphenated form (what the first write makes).
//! - each entry's address is a declaration (`membership`, `membership_set`, `group_members`),
//!   the only blocks that manage memberships;
//! - no entry appears twice (the set in memory would silently drop the copy).
//!
//! A serial at `u64::MAX` reads (every read-only command works) but cannot be written again:
//! see [`Error::SerialExhausted`].

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{Error, ManagedMembership, State, VERSION};
use crate::ids::Address;

/// The document as the file holds it: entries in file order, duplicates kept, to be checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    lineage: String,
    serial: u64,
    memberships: Vec<ManagedMembership>,
}

/// The block kinds that declare memberships: the only ones a state entry may name.
const DECLARATION_KINDS: [&str; 3] = ["membership", "membership_set", "group_members"];

/// Whether `address` names a declaration (not a data source, not an unknown kind). Compares
/// the kind's text, so it holds whether `Address::kind` is text or a typed kind.
fn is_declaration(address: &Address) -> bool {
    let kind = address.kind.to_string();
    DECLARATION_KINDS.contains(&kind.as_str())
}

pub(super) fn parse(location: &str, text: &str) -> Result<State, Error> {
    #[derive(Deserialize)]
    struct Version {
        version: Option<u32>,
    }
    let corrupt = |reason: String| Error::Corrupt {
        location: location.to_owned(),
        reason,
    };
    let version: Version = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    match version.version {
        None => return Err(corrupt("it has no `version` field".to_owned())),
        Some(v) if v > VERSION => {
            return Err(Error::NewerVersion {
                location: location.to_owned(),
                found: v,
            });
        }
        Some(v) if v != VERSION => {
            return Err(corrupt(format!(
                "its `version` is {v}, a format no sgform writes (this one writes {VERSION})"
            )));
        }
        Some(_) => {}
    }
    let doc: Document = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    if doc.lineage.is_empty() {
        return Err(corrupt("its `lineage` is empty".to_owned()));
    }
    if !is_uuid(&doc.lineage) {
        return Err(corrupt(format!(
            "its `lineage` `{}` is not a UUID (sgform makes one, like `5b0c6a8e-1f2d-4c3b-9a00-8e5f3c2d1a0b`, on the first write)",
            doc.lineage.escape_debug()
        )));
    }
    let mut memberships = BTreeSet::new();
    for (i, entry) in doc.memberships.iter().enumerate() {
        if !is_declaration(&entry.address) {
            return Err(corrupt(format!(
                "entry {} (`{}`) is not a declaration: a state entry names a `membership`, `membership_set` or `group_members` block",
                i + 1,
                entry.address
            )));
        }
        if !memberships.insert(entry.clone()) {
            let first = doc.memberships.iter().position(|e| e == entry).unwrap_or(i);
            return Err(corrupt(format!(
                "entries {} and {} are the same (`{}`: {} in {}); a state lists each managed pair once",
                first + 1,
                i + 1,
                entry.address,
                entry.target,
                entry.security_group_id
            )));
        }
    }
    Ok(State {
        version: doc.version,
        lineage: doc.lineage,
        serial: doc.serial,
        memberships,
    })
}

/// A UUID in the hyphenated form `8-4-4-4-12` hex digits (any case), as sgform writes it.
fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}
