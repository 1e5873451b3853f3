//! The four mutations: JoinSecurityGroup and LeaveSecurityGroup (one target, one group) and the
//! two set replacements, ModifyInstanceAttribute `SecurityGroupIds.N` and
//! ModifyNetworkInterfaceAttribute `SecurityGroupId.N`.

use super::{Action, InRegion, RequestIdOnly};
use crate::cloud::client::{Client, Response};
use crate::cloud::error::{ApiError, Error};
use crate::ids::{InstanceId, NetworkInterfaceId, RegionId, SecurityGroupId, Target};

/// What a mutation returns: the request id, and the error that said "already in effect" if the
/// change was already made (a retry after a lost answer, or someone else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub request_id: Option<String>,
    pub already_done: Option<ApiError>,
}

fn applied(response: &Response) -> Result<Applied, Error> {
    let parsed: RequestIdOnly = response.parse()?;
    Ok(Applied {
        request_id: parsed.request_id,
        already_done: response.already_done.clone(),
    })
}

/// The parameters of a pairwise call: one group and exactly one of `InstanceId` /
/// `NetworkInterfaceId` (the `Target` makes "both" and "neither" impossible).
fn pair_params(security_group_id: &SecurityGroupId, target: &Target) -> Vec<(String, String)> {
    vec![
        ("SecurityGroupId".to_owned(), security_group_id.to_string()),
        (target.api_param().to_owned(), target.to_string()),
    ]
}

/// Adds an instance or ENI to a security group. `InvalidInstanceId.AlreadyExists` counts as done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinSecurityGroup {
    pub security_group_id: SecurityGroupId,
    pub target: Target,
}

impl Action for JoinSecurityGroup {
    const NAME: &'static str = "JoinSecurityGroup";
    type Output = Applied;

    fn params(&self) -> Vec<(String, String)> {
        pair_params(&self.security_group_id, &self.target)
    }

    fn output(response: &Response) -> Result<Applied, Error> {
        applied(response)
    }
}

/// Removes an instance or ENI from a security group. `InvalidSecurityGroupAssociation.NotFound`
/// and `InstanceNotInSecurityGroup` count as done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveSecurityGroup {
    pub security_group_id: SecurityGroupId,
    pub target: Target,
}

impl Action for LeaveSecurityGroup {
    const NAME: &'static str = "LeaveSecurityGroup";
    type Output = Applied;

    fn params(&self) -> Vec<(String, String)> {
        pair_params(&self.security_group_id, &self.target)
    }

    fn output(response: &Response) -> Result<Applied, Error> {
        applied(response)
    }
}

/// Replaces an instance's whole set of groups (ModifyInstanceAttribute with only
/// `SecurityGroupIds.N`). The list is sent in the given order, numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyInstanceSecurityGroups {
    pub instance_id: InstanceId,
    pub security_group_ids: Vec<SecurityGroupId>,
}

impl Action for ModifyInstanceSecurityGroups {
    const NAME: &'static str = "ModifyInstanceAttribute";
    type Output = Applied;

    fn params(&self) -> Vec<(String, String)> {
        let mut params = vec![("InstanceId".to_owned(), self.instance_id.to_string())];
        for (i, sg) in self.security_group_ids.iter().enumerate() {
            params.push((format!("SecurityGroupIds.{}", i + 1), sg.to_string()));
        }
        params
    }

    fn output(response: &Response) -> Result<Applied, Error> {
        applied(response)
    }
}

/// Replaces a (secondary) ENI's whole set of groups (ModifyNetworkInterfaceAttribute with only
/// `SecurityGroupId.N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyNetworkInterfaceSecurityGroups {
    pub network_interface_id: NetworkInterfaceId,
    pub security_group_ids: Vec<SecurityGroupId>,
}

impl Action for ModifyNetworkInterfaceSecurityGroups {
    const NAME: &'static str = "ModifyNetworkInterfaceAttribute";
    type Output = Applied;

    fn params(&self) -> Vec<(String, String)> {
        let mut params = vec![(
            "NetworkInterfaceId".to_owned(),
            self.network_interface_id.to_string(),
        )];
        for (i, sg) in self.security_group_ids.iter().enumerate() {
            params.push((format!("SecurityGroupId.{}", i + 1), sg.to_string()));
        }
        params
    }

    fn output(response: &Response) -> Result<Applied, Error> {
        applied(response)
    }
}

/// One of the four mutations: what `apply` sends for one operation of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    Join(JoinSecurityGroup),
    Leave(LeaveSecurityGroup),
    ModifyInstance(ModifyInstanceSecurityGroups),
    ModifyNetworkInterface(ModifyNetworkInterfaceSecurityGroups),
}

impl Mutation {
    /// The API action.
    pub fn name(&self) -> &'static str {
        match self {
            Mutation::Join(_) => JoinSecurityGroup::NAME,
            Mutation::Leave(_) => LeaveSecurityGroup::NAME,
            Mutation::ModifyInstance(_) => ModifyInstanceSecurityGroups::NAME,
            Mutation::ModifyNetworkInterface(_) => ModifyNetworkInterfaceSecurityGroups::NAME,
        }
    }

    /// The action parameters sent in `region`, exactly as [`Mutation::send`] sends them.
    pub fn params_in(&self, region: &RegionId) -> Vec<(String, String)> {
        let region = region.clone();
        match self {
            Mutation::Join(r) => InRegion::new(region, r).params(),
            Mutation::Leave(r) => InRegion::new(region, r).params(),
            Mutation::ModifyInstance(r) => InRegion::new(region, r).params(),
            Mutation::ModifyNetworkInterface(r) => InRegion::new(region, r).params(),
        }
    }

    /// Sends it in `region` with [`Client::mutate`]: an unknown outcome or a wait-and-retry
    /// answer comes back to the caller rather than being retried.
    pub async fn send(&self, client: &Client, region: &RegionId) -> Result<Applied, Error> {
        let region = region.clone();
        match self {
            Mutation::Join(r) => client.mutate(&InRegion::new(region, r)).await,
            Mutation::Leave(r) => client.mutate(&InRegion::new(region, r)).await,
            Mutation::ModifyInstance(r) => client.mutate(&InRegion::new(region, r)).await,
            Mutation::ModifyNetworkInterface(r) => client.mutate(&InRegion::new(region, r)).await,
        }
    }
}
