//! Reading a state document: the version first (so a newer format is reported as such and not
//! as a parse error), then the document, then what the types cannot say. Each check names the
//! state and the entry: a state sgform would misread is refused, never guessed at.
//!
//! - `version` is [`VERSION`]: a newer one asks for an upgrade; any other (0, say) was never
//!   written by sgform.
//! - `lineage` is a UUID in its hyphenated form (what the first write makes).
//! - each entry's address is a declaration (`membership`, `membership_set`, `group_members`),
//!   the only blocks that manage memberships;
//! - no entry appears twice (the set in memory would silently drop the copy);
//! - no address lists one pair twice (with another provider or region), and no pair is in two
//!   regions (a group lives in one): either would have sgform manage the same membership as two.
//!   Two *addresses* may list the same pair: a `membership` and a `group_members` that both
//!   want it each record it, and the pair leaves only when neither does.
//!
//! A serial at `u64::MAX` reads (every read-only command works) but cannot be written again:
//! see [`Error::SerialExhausted`].

use std::collections::{BTreeMap, BTreeSet};

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

/// Whether `address` names a declaration, the only kind of block a state entry may name (not a
/// data source; an unknown kind does not parse).
fn is_declaration(address: &Address) -> bool {
    address.declaration().is_some()
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
    // JSON that is not an object (an array, a string, a number, `true`, `null`) is some other
    // file: say what a state is rather than what serde expected of an internal type. (Text
    // that is not JSON at all keeps the parser's message, which says where it breaks.)
    if matches!(
        text.trim_start().chars().next(),
        Some('[' | '"' | '-' | '0'..='9' | 't' | 'f' | 'n')
    ) {
        return Err(corrupt(NOT_A_DOCUMENT.to_owned()));
    }
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
    // (address, group, target) and (group, target) → the first entry that named them.
    let mut by_address: BTreeMap<(&Address, &str, String), usize> = BTreeMap::new();
    let mut by_pair: BTreeMap<(&str, String), usize> = BTreeMap::new();
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
        let group = entry.security_group_id.as_str();
        let target = entry.target.to_string();
        let first = *by_address
            .entry((&entry.address, group, target.clone()))
            .or_insert(i);
        if first != i {
            let other = &doc.memberships[first];
            return Err(corrupt(format!(
                "entries {} and {} both say `{}` manages {target} in {group} (one through {}, one through {}); an address lists each pair once",
                first + 1,
                i + 1,
                entry.address,
                where_(other),
                where_(entry),
            )));
        }
        let first = *by_pair.entry((group, target.clone())).or_insert(i);
        let other = &doc.memberships[first];
        if other.region != entry.region {
            return Err(corrupt(format!(
                "entries {} (`{}`) and {} (`{}`) put {target} in {group} in two regions, `{}` and `{}`; a security group lives in one region",
                first + 1,
                other.address,
                i + 1,
                entry.address,
                other.region,
                entry.region,
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

/// What a file that is JSON but not an object is told.
const NOT_A_DOCUMENT: &str =
    "not a state document: expected a JSON object with version, lineage, serial, memberships";

/// Where an entry says its pair is: the provider (`default` for none) and the region.
fn where_(entry: &ManagedMembership) -> String {
    format!(
        "provider `{}` in region `{}`",
        entry.provider.as_deref().unwrap_or("default"),
        entry.region
    )
}

/// A UUID in the hyphenated form `8-4-4-4-12` hex digits (any case), as sgform writes it.
fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

#[cfg(test)]
mod tests;
