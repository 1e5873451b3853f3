//! Typed identifiers: the IDs of the ECS API and the addresses of configuration blocks.
//!
//! Every ID is validated once, when it is parsed (`FromStr`, serde), and is a plain string after
//! that: `Display` prints the raw ID. This module is a leaf: it imports nothing else from the crate.
//!
//! The validators are deliberately permissive about length (real IDs are 9 characters in the
//! legacy style, `i-23yi8tnhj`, and 20–22 in the current style, `i-bp1gtjxuuvwj17zr8s5f`) and
//! strict about the alphabet, so garbage and the documentation's masked examples
//! (`sg-bp67acfmxazb4p****`) are refused before anything reaches the network.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod kind;
pub mod text;

pub use kind::{BlockKind, DataKind, DeclarationKind};

/// Why a string is not a valid ID of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}: {reason}")]
pub struct IdError {
    /// What was being parsed, in the API's words (`security group ID`).
    pub kind: &'static str,
    /// The offending input, as given.
    pub value: String,
    /// A phrase saying what is wrong and, where possible, what a valid one looks like.
    pub reason: String,
}

/// Shortest and longest body (the part after the prefix) that we accept.
const MIN_BODY: usize = 8;
const MAX_BODY: usize = 32;

fn validate_prefixed(
    value: &str,
    prefix: &str,
    kind: &'static str,
    example: &str,
) -> Result<(), IdError> {
    let err = |reason: String| IdError {
        kind,
        value: value.to_owned(),
        reason,
    };
    if value.is_empty() {
        return Err(err(format!(
            "it is empty; expected something like `{example}`"
        )));
    }
    if value.trim() != value {
        return Err(err("it has leading or trailing whitespace".to_owned()));
    }
    if value.contains('*') {
        return Err(err(format!(
            "it contains `*`, as the masked examples in Alibaba Cloud's documentation do; use a real ID such as `{example}`"
        )));
    }
    let Some(body) = value.strip_prefix(prefix) else {
        return Err(err(format!(
            "it must start with `{prefix}`, like `{example}`"
        )));
    };
    if let Some(bad) = body
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
    {
        return Err(err(format!(
            "it contains `{bad}`; after `{prefix}` only lower-case letters and digits may follow, like `{example}`"
        )));
    }
    if !(MIN_BODY..=MAX_BODY).contains(&body.len()) {
        return Err(err(format!(
            "`{prefix}` must be followed by {MIN_BODY} to {MAX_BODY} characters (found {}), like `{example}`",
            body.len()
        )));
    }
    Ok(())
}

macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $kind:literal, $example:literal) => {
        $(#[$meta])*
        ///
        /// Shared, immutable text: a plan of 100,000 memberships copies IDs into operations,
        /// state entries and indexes, and a clone is a reference-count increment.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The prefix every ID of this kind starts with.
            pub const PREFIX: &'static str = $prefix;
            /// What the API calls it, for messages.
            pub const KIND: &'static str = $kind;
            /// A well-formed example, for messages and docs.
            pub const EXAMPLE: &'static str = $example;

            /// Validates and wraps `value`.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                validate_prefixed(value, $prefix, $kind, $example)?;
                Ok(Self(Arc::from(value)))
            }

            /// The raw ID, as the API spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

prefixed_id!(
    /// A security group ID, `sg-…`.
    SecurityGroupId, "sg-", "security group ID", "sg-bp1fg655nh68xyz9i4w1"
);
prefixed_id!(
    /// An ECS instance ID, `i-…`.
    InstanceId, "i-", "instance ID", "i-bp1gtjxuuvwj17zr8s5f"
);
prefixed_id!(
    /// An elastic network interface ID, `eni-…`.
    NetworkInterfaceId, "eni-", "network interface ID", "eni-bp13kd656hxambfe1234"
);
prefixed_id!(
    /// A VPC ID, `vpc-…`.
    VpcId, "vpc-", "VPC ID", "vpc-bp1opxu1zkhn00gzv26cm"
);

/// A region ID such as `cn-hangzhou` or `ap-southeast-1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(Arc<str>);

impl RegionId {
    /// Validates and wraps `value`: lower-case words separated by `-`, the first of 2–4 letters.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = |reason: &str| IdError {
            kind: "region ID",
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = value.split('-');
        let first = parts.next().unwrap_or_default();
        if !(2..=4).contains(&first.len()) || !first.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(err(
                "expected something like `cn-hangzhou` or `ap-southeast-1`",
            ));
        }
        let mut rest = 0;
        for part in parts {
            rest += 1;
            if part.is_empty()
                || !part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            {
                return Err(err(
                    "expected something like `cn-hangzhou` or `ap-southeast-1`",
                ));
            }
        }
        if rest == 0 {
            return Err(err(
                "expected something like `cn-hangzhou` or `ap-southeast-1`",
            ));
        }
        Ok(Self(Arc::from(value)))
    }

    /// The raw region ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RegionId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RegionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RegionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What joins a security group: an ECS instance or an elastic network interface.
///
/// The API takes exactly one of `InstanceId` / `NetworkInterfaceId` per call; this enum makes
/// "both" and "neither" unrepresentable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Instance(InstanceId),
    NetworkInterface(NetworkInterfaceId),
}

impl Target {
    /// Parses an instance or ENI ID by its prefix.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        if value.starts_with(NetworkInterfaceId::PREFIX) {
            NetworkInterfaceId::parse(value).map(Target::NetworkInterface)
        } else if value.starts_with(InstanceId::PREFIX) {
            InstanceId::parse(value).map(Target::Instance)
        } else {
            Err(IdError {
                kind: "instance or network interface ID",
                value: value.to_owned(),
                reason: format!(
                    "it must start with `i-` (an instance, like `{}`) or `eni-` (an ENI, like `{}`)",
                    InstanceId::EXAMPLE,
                    NetworkInterfaceId::EXAMPLE
                ),
            })
        }
    }

    /// The raw ID.
    pub fn as_str(&self) -> &str {
        match self {
            Target::Instance(id) => id.as_str(),
            Target::NetworkInterface(id) => id.as_str(),
        }
    }

    /// The API parameter that carries this target (`InstanceId` or `NetworkInterfaceId`).
    pub fn api_param(&self) -> &'static str {
        match self {
            Target::Instance(_) => "InstanceId",
            Target::NetworkInterface(_) => "NetworkInterfaceId",
        }
    }
}

impl FromStr for Target {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The address of a configuration object, as HCL spells it: `membership.web["i-bp1…"]`,
/// `membership_set.api`, `group_members.bastion`, `data.instances.web`.
///
/// Ordering is by kind, then name, then key, so sorting by address gives deterministic output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
///
/// The parts are shared, immutable text: a large plan copies addresses into every operation,
/// state entry and resource change, and a clone is two reference-count increments.
pub struct Address {
    /// The block type (`membership`, `membership_set`, `group_members`, `data.instances`, …).
    pub kind: BlockKind,
    /// The block label.
    pub name: Arc<str>,
    /// The `for_each` key, if the block has `for_each`.
    pub key: Option<Arc<str>>,
}

impl Address {
    /// An address without a `for_each` key.
    pub fn new(kind: impl Into<BlockKind>, name: impl AsRef<str>) -> Self {
        Self {
            kind: kind.into(),
            name: Arc::from(name.as_ref()),
            key: None,
        }
    }

    /// The same address with a `for_each` key.
    pub fn with_key(mut self, key: impl AsRef<str>) -> Self {
        self.key = Some(Arc::from(key.as_ref()));
        self
    }

    /// The same address without its `for_each` key: the block.
    pub fn block(&self) -> Self {
        Self {
            kind: self.kind,
            name: self.name.clone(),
            key: None,
        }
    }

    /// The declaration kind, unless the address names a data source.
    pub fn declaration(&self) -> Option<DeclarationKind> {
        self.kind.declaration()
    }

    /// Parses the display form back (`membership.web["k"]`), as the CLI's `--target` needs.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = || {
            IdError {
            kind: "address",
            value: value.to_owned(),
            reason: "expected `KIND.NAME` or `KIND.NAME[\"KEY\"]`, like `membership.web[\"i-bp1gtjxuuvwj17zr8s5f\"]`"
                .to_owned(),
        }
        };
        let (head, key) = match value.find('[') {
            Some(open) => {
                let inner = value[open..]
                    .strip_prefix("[\"")
                    .and_then(|s| s.strip_suffix("\"]"))
                    .ok_or_else(err)?;
                // The key is shown with Rust's string escapes (`Display` below): undo them, so
                // a key with `\\` or a control character reads back as it was written.
                let key = unescape_key(inner).ok_or_else(err)?;
                (&value[..open], Some(Arc::from(key)))
            }
            None => (value, None),
        };
        let (kind, name) = head.rsplit_once('.').ok_or_else(err)?;
        let valid_ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !kind.split('.').all(valid_ident) || !valid_ident(name) {
            return Err(err());
        }
        let Some(kind) = BlockKind::parse(kind) else {
            return Err(IdError {
                kind: "address",
                value: value.to_owned(),
                reason: format!(
                    "`{kind}` is not a kind of block; expected `membership`, `membership_set`, \
                     `group_members`, `data.instances` or `data.network_interfaces`"
                ),
            });
        };
        Ok(Self {
            kind,
            name: Arc::from(name),
            key,
        })
    }
}

/// A key as `Address`'s `Display` escapes it (`{:?}`), unescaped; `None` for a bare `"` or an
/// escape that `{:?}` does not write.
fn unescape_key(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => out.push(match chars.next()? {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '0' => '\0',
                '\\' => '\\',
                '"' => '"',
                '\'' => '\'',
                'u' => {
                    let rest = chars.as_str().strip_prefix('{')?;
                    let (hex, after) = rest.split_once('}')?;
                    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                    chars = after.chars();
                    c
                }
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    Some(out)
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)?;
        if let Some(key) = &self.key {
            write!(f, "[{key:?}]")?;
        }
        Ok(())
    }
}

impl FromStr for Address {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
