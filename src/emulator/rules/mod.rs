//! The business rules of the nine actions: parameter parsing, the checks of the seed document and
//! the reference (§4), and the answers. No HTTP, no authentication, no clock: the server (or a
//! test using the world as an oracle) calls [`World::apply`] with the caller's account.
//!
//! The order of the checks matters where several rules are broken at once; it follows the
//! seed's table as far as it can be inferred: parameters, existence, ownership, the target's
//! state, the group, then the limits.

mod checks;
mod describe;
mod join_leave;
mod modify;
mod params;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::catalog::ApiError;
use super::world::World;

/// The actions the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    JoinSecurityGroup,
    LeaveSecurityGroup,
    ModifyInstanceAttribute,
    ModifyNetworkInterfaceAttribute,
    DescribeInstances,
    DescribeInstanceAttribute,
    DescribeNetworkInterfaces,
    DescribeSecurityGroups,
    DescribeRegions,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::JoinSecurityGroup,
        Action::LeaveSecurityGroup,
        Action::ModifyInstanceAttribute,
        Action::ModifyNetworkInterfaceAttribute,
        Action::DescribeInstances,
        Action::DescribeInstanceAttribute,
        Action::DescribeNetworkInterfaces,
        Action::DescribeSecurityGroups,
        Action::DescribeRegions,
    ];

    /// The API name (case-sensitive, as the API treats it).
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::JoinSecurityGroup => "JoinSecurityGroup",
            Action::LeaveSecurityGroup => "LeaveSecurityGroup",
            Action::ModifyInstanceAttribute => "ModifyInstanceAttribute",
            Action::ModifyNetworkInterfaceAttribute => "ModifyNetworkInterfaceAttribute",
            Action::DescribeInstances => "DescribeInstances",
            Action::DescribeInstanceAttribute => "DescribeInstanceAttribute",
            Action::DescribeNetworkInterfaces => "DescribeNetworkInterfaces",
            Action::DescribeSecurityGroups => "DescribeSecurityGroups",
            Action::DescribeRegions => "DescribeRegions",
        }
    }

    /// Whether the action changes the world.
    pub fn is_mutation(self) -> bool {
        matches!(
            self,
            Action::JoinSecurityGroup
                | Action::LeaveSecurityGroup
                | Action::ModifyInstanceAttribute
                | Action::ModifyNetworkInterfaceAttribute
        )
    }
}

/// One API call with its action parameters (the common parameters such as `Signature` may be
/// present; the rules ignore them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub action: Action,
    pub params: BTreeMap<String, String>,
}

impl Request {
    pub fn new<K: Into<String>, V: Into<String>>(
        action: Action,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Request {
        Request {
            action,
            params: params
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// `JoinSecurityGroup` for an instance or (by its `eni-` prefix) a network interface.
    pub fn join(target: &str, group: &str, region: &str) -> Request {
        Request::new(Action::JoinSecurityGroup, membership(target, group, region))
    }

    /// `LeaveSecurityGroup` for an instance or (by its `eni-` prefix) a network interface.
    pub fn leave(target: &str, group: &str, region: &str) -> Request {
        Request::new(
            Action::LeaveSecurityGroup,
            membership(target, group, region),
        )
    }

    /// Replaces the whole set: `ModifyInstanceAttribute` for `i-…`,
    /// `ModifyNetworkInterfaceAttribute` for `eni-…`.
    pub fn replace(target: &str, groups: &[&str], region: &str) -> Request {
        let (action, id_param, list) = if target.starts_with("eni-") {
            (
                Action::ModifyNetworkInterfaceAttribute,
                "NetworkInterfaceId",
                "SecurityGroupId",
            )
        } else {
            (
                Action::ModifyInstanceAttribute,
                "InstanceId",
                "SecurityGroupIds",
            )
        };
        let mut params = vec![
            (id_param.to_owned(), target.to_owned()),
            ("RegionId".to_owned(), region.to_owned()),
        ];
        for (n, g) in groups.iter().enumerate() {
            params.push((format!("{list}.{}", n + 1), (*g).to_owned()));
        }
        Request::new(action, params)
    }

    /// The target a mutation changes (its `InstanceId` or `NetworkInterfaceId`), for the
    /// server's per-target busy window.
    pub fn target(&self) -> Option<&str> {
        if !self.action.is_mutation() {
            return None;
        }
        self.get("InstanceId")
            .or_else(|| self.get("NetworkInterfaceId"))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn membership(target: &str, group: &str, region: &str) -> Vec<(String, String)> {
    let key = if target.starts_with("eni-") {
        "NetworkInterfaceId"
    } else {
        "InstanceId"
    };
    vec![
        (key.to_owned(), target.to_owned()),
        ("SecurityGroupId".to_owned(), group.to_owned()),
        ("RegionId".to_owned(), region.to_owned()),
    ]
}

/// The answer body of a successful call, without `RequestId`.
pub type Body = Map<String, Value>;

impl World {
    /// Runs one call as `account` and returns the answer body (without `RequestId`), or the
    /// error the API would answer. A mutation that returns `Ok` has changed the world.
    pub fn apply(&mut self, account: &str, req: &Request) -> Result<Body, ApiError> {
        match req.action {
            Action::JoinSecurityGroup => self.join_or_leave(account, req, true),
            Action::LeaveSecurityGroup => self.join_or_leave(account, req, false),
            Action::ModifyInstanceAttribute => self.modify_instance(account, req),
            Action::ModifyNetworkInterfaceAttribute => self.modify_eni(account, req),
            Action::DescribeInstances => self.describe_instances(account, req),
            Action::DescribeInstanceAttribute => self.describe_instance_attribute(account, req),
            Action::DescribeNetworkInterfaces => self.describe_enis(account, req),
            Action::DescribeSecurityGroups => self.describe_groups(account, req),
            Action::DescribeRegions => Ok(self.describe_regions(account)),
        }
    }
}
