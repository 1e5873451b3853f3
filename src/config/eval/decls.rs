//! One decoder per declaration kind: a block instance's attributes to a [`Declaration`].

use std::collections::BTreeSet;

use super::reader::{ENI_MALFORMED, INSTANCE_MALFORMED, Reader, SG_MALFORMED};
use crate::config::decode::{Attr, RawBlock};
use crate::config::{Common, Declaration, GroupMembers, Membership, MembershipSet};
use crate::diag::Diagnostic;
use crate::ids::{InstanceId, NetworkInterfaceId, SecurityGroupId, Target};

fn sg(r: &mut Reader<'_>, attr: &Attr) -> Option<SecurityGroupId> {
    let s = r.string(attr)?;
    r.id(attr, &s, SecurityGroupId::parse, SG_MALFORMED)
}

fn sgs(r: &mut Reader<'_>, attr: Option<&Attr>) -> Option<BTreeSet<SecurityGroupId>> {
    let Some(attr) = attr else {
        return Some(BTreeSet::new());
    };
    let items = r.strings(attr)?;
    let mut out = BTreeSet::new();
    let mut ok = true;
    for s in items {
        match r.id(attr, &s, SecurityGroupId::parse, SG_MALFORMED) {
            Some(id) => {
                out.insert(id);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Exactly one of `instance_id` / `network_interface_id`.
fn target(r: &mut Reader<'_>, block: &RawBlock) -> Option<Target> {
    match (
        block.attr("instance_id"),
        block.attr("network_interface_id"),
    ) {
        (Some(i), Some(e)) => {
            r.push(
                Diagnostic::error("both `instance_id` and `network_interface_id` are set")
                    .with_span_label(e.key_span, "second target here")
                    .with_label(i.key_span, "first target here")
                    .with_note(
                        "the API refuses this with `InvalidParam.EniIdAndInstanceId.Conflict`",
                    )
                    .with_hint(
                        "a block manages one target: keep one of the two, or split the block",
                    ),
            );
            None
        }
        (None, None) => {
            r.push(
                Diagnostic::error("missing target: set `instance_id` or `network_interface_id`")
                    .with_span_label(block.header, "no target in this block")
                    .with_note("the API needs exactly one of `InstanceId` and `NetworkInterfaceId`")
                    .with_hint(
                        "add `instance_id = \"i-...\"` or `network_interface_id = \"eni-...\"`",
                    ),
            );
            None
        }
        (Some(i), None) => {
            let s = r.string(i)?;
            r.id(i, &s, InstanceId::parse, INSTANCE_MALFORMED)
                .map(Target::Instance)
        }
        (None, Some(e)) => {
            let s = r.string(e)?;
            r.id(e, &s, NetworkInterfaceId::parse, ENI_MALFORMED)
                .map(Target::NetworkInterface)
        }
    }
}

pub(super) fn membership(
    r: &mut Reader<'_>,
    block: &RawBlock,
    common: Common,
) -> Option<Declaration> {
    let target = target(r, block);
    let group = block.attr("security_group_id").and_then(|a| sg(r, a));
    Some(Declaration::Membership(Membership {
        common,
        security_group_id: group?,
        target: target?,
    }))
}

pub(super) fn membership_set(
    r: &mut Reader<'_>,
    block: &RawBlock,
    common: Common,
) -> Option<Declaration> {
    let target = target(r, block);
    let groups = match block.attr("security_group_ids") {
        Some(a) => sgs(r, Some(a)),
        None => None,
    };
    let ignore = sgs(r, block.attr("ignore_security_group_ids"));
    Some(Declaration::MembershipSet(MembershipSet {
        common,
        target: target?,
        security_group_ids: groups?,
        ignore_security_group_ids: ignore?,
    }))
}

pub(super) fn group_members(
    r: &mut Reader<'_>,
    block: &RawBlock,
    common: Common,
) -> Option<Declaration> {
    let group = block.attr("security_group_id").and_then(|a| sg(r, a));
    let mut ok = true;
    let mut instance_ids = BTreeSet::new();
    if let Some(attr) = block.attr("instance_ids") {
        match r.strings(attr) {
            Some(items) => {
                for s in items {
                    match r.id(attr, &s, InstanceId::parse, INSTANCE_MALFORMED) {
                        Some(id) => {
                            instance_ids.insert(id);
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    let mut network_interface_ids = BTreeSet::new();
    if let Some(attr) = block.attr("network_interface_ids") {
        match r.strings(attr) {
            Some(items) => {
                for s in items {
                    match r.id(attr, &s, NetworkInterfaceId::parse, ENI_MALFORMED) {
                        Some(id) => {
                            network_interface_ids.insert(id);
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(Declaration::GroupMembers(GroupMembers {
        common,
        security_group_id: group?,
        instance_ids,
        network_interface_ids,
    }))
}
