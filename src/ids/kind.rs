//! What an [`Address`](super::Address) names: a declaration (`membership`, `membership_set`,
//! `group_members`) or a data source (`data.instances`, `data.network_interfaces`), with the
//! attribute names of each declaration kind.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Target;

/// A kind of block that declares memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclarationKind {
    /// `membership`: this pair must exist; the target's other groups are left alone.
    Membership,
    /// `membership_set`: authoritative for one target's groups.
    MembershipSet,
    /// `group_members`: authoritative for one group's members.
    GroupMembers,
}

impl DeclarationKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [DeclarationKind; 3] = [
        DeclarationKind::Membership,
        DeclarationKind::MembershipSet,
        DeclarationKind::GroupMembers,
    ];

    /// The block type, as HCL spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationKind::Membership => "membership",
            DeclarationKind::MembershipSet => "membership_set",
            DeclarationKind::GroupMembers => "group_members",
        }
    }

    /// The kind a block type names, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Every attribute the block accepts.
    pub fn attributes(self) -> &'static [&'static str] {
        match self {
            DeclarationKind::Membership => &[
                "for_each",
                "security_group_id",
                "instance_id",
                "network_interface_id",
                "provider",
                "depends_on",
                "allow_empty",
            ],
            DeclarationKind::MembershipSet => &[
                "for_each",
                "instance_id",
                "network_interface_id",
                "security_group_ids",
                "ignore_security_group_ids",
                "provider",
                "depends_on",
                "allow_empty",
            ],
            DeclarationKind::GroupMembers => &[
                "for_each",
                "security_group_id",
                "instance_ids",
                "network_interface_ids",
                "provider",
                "depends_on",
                "allow_empty",
            ],
        }
    }

    /// The attributes the block must have (the target is checked on its own: one of two).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            DeclarationKind::Membership | DeclarationKind::GroupMembers => &["security_group_id"],
            DeclarationKind::MembershipSet => &["security_group_ids"],
        }
    }

    /// The attribute that names the group or groups: `security_group_id` or
    /// `security_group_ids`.
    pub fn group_attr(self) -> &'static str {
        match self {
            DeclarationKind::Membership | DeclarationKind::GroupMembers => "security_group_id",
            DeclarationKind::MembershipSet => "security_group_ids",
        }
    }

    /// The attribute of groups the block never changes (`ignore_security_group_ids`), if the
    /// kind has one.
    pub fn ignored_groups_attr(self) -> Option<&'static str> {
        match self {
            DeclarationKind::MembershipSet => Some("ignore_security_group_ids"),
            DeclarationKind::Membership | DeclarationKind::GroupMembers => None,
        }
    }

    /// The attribute that names instances: `instance_id`, or `instance_ids` for
    /// `group_members`.
    pub fn instance_attr(self) -> &'static str {
        match self {
            DeclarationKind::Membership | DeclarationKind::MembershipSet => "instance_id",
            DeclarationKind::GroupMembers => "instance_ids",
        }
    }

    /// The attribute that names ENIs: `network_interface_id`, or `network_interface_ids` for
    /// `group_members`.
    pub fn network_interface_attr(self) -> &'static str {
        match self {
            DeclarationKind::Membership | DeclarationKind::MembershipSet => "network_interface_id",
            DeclarationKind::GroupMembers => "network_interface_ids",
        }
    }

    /// The attribute a target of this block came from.
    pub fn target_attr(self, target: &Target) -> &'static str {
        match target {
            Target::Instance(_) => self.instance_attr(),
            Target::NetworkInterface(_) => self.network_interface_attr(),
        }
    }
}

impl fmt::Display for DeclarationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind of data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    Instances,
    NetworkInterfaces,
}

impl DataKind {
    /// Every kind.
    pub const ALL: [DataKind; 2] = [DataKind::Instances, DataKind::NetworkInterfaces];

    /// The data source type, as HCL spells it after `data`.
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::Instances => "instances",
            DataKind::NetworkInterfaces => "network_interfaces",
        }
    }

    /// The kind a data source type names, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The attribute that lists the objects it found (`instances` / `network_interfaces`).
    pub fn list_attr(self) -> &'static str {
        self.as_str()
    }
}

/// What an address names: a declaration or a data source.
///
/// It orders as its text does (`data.instances` < `group_members` < `membership` <
/// `membership_set`), so sorting addresses gives the order it always gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    Declaration(DeclarationKind),
    Data(DataKind),
}

impl BlockKind {
    /// The block type as an address spells it: `membership`, `data.instances`.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Declaration(k) => k.as_str(),
            BlockKind::Data(DataKind::Instances) => "data.instances",
            BlockKind::Data(DataKind::NetworkInterfaces) => "data.network_interfaces",
        }
    }

    /// The kind `s` spells, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        match s.strip_prefix("data.") {
            Some(data) => DataKind::parse(data).map(BlockKind::Data),
            None => DeclarationKind::parse(s).map(BlockKind::Declaration),
        }
    }

    /// The declaration kind, unless this is a data source.
    pub fn declaration(self) -> Option<DeclarationKind> {
        match self {
            BlockKind::Declaration(k) => Some(k),
            BlockKind::Data(_) => None,
        }
    }
}

impl From<DeclarationKind> for BlockKind {
    fn from(kind: DeclarationKind) -> Self {
        BlockKind::Declaration(kind)
    }
}

impl From<DataKind> for BlockKind {
    fn from(kind: DataKind) -> Self {
        BlockKind::Data(kind)
    }
}

impl PartialOrd for BlockKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BlockKind {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for BlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
