//! The five reads: DescribeInstances, DescribeInstanceAttribute, DescribeNetworkInterfaces,
//! DescribeSecurityGroups and DescribeRegions, with their batching (≤ 100 IDs per call) and
//! `NextToken`/`MaxResults` paging loops.

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

use super::{Action, MAX_IDS_PER_CALL, PAGE_SIZE, Tag, TargetsById, check_batch, json_array, list};
use crate::cloud::client::{Client, Response};
use crate::cloud::error::Error;
use crate::ids::{InstanceId, NetworkInterfaceId, SecurityGroupId, VpcId};

/// An optional ID that the API may send as `""`, `null` or not at all.
fn opt_id<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let raw = Option::<String>::deserialize(deserializer)?;
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => T::from_str(s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// One page of a paged listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub request_id: Option<String>,
    /// Absent or empty on the last page.
    pub next_token: Option<String>,
    pub items: Vec<T>,
}

/// A listing that pages with `NextToken`.
pub trait Paged: Action<Output = Page<Self::Item>> + Clone {
    type Item;
    /// The request's `NextToken` field.
    fn next_token_mut(&mut self) -> &mut Option<String>;

    /// The same request for the page after `token`.
    fn with_next_token(&self, token: Option<String>) -> Self {
        let mut next = self.clone();
        *next.next_token_mut() = token;
        next
    }
}

fn parse_page<R: DeserializeOwned, T>(
    response: &Response,
    split: impl FnOnce(R) -> (Option<String>, Vec<T>),
) -> Result<Page<T>, Error> {
    let raw: R = response.parse()?;
    let (next_token, items) = split(raw);
    Ok(Page {
        request_id: response.request_id.clone(),
        next_token: next_token.filter(|t| !t.is_empty()),
        items,
    })
}

fn tag_params(params: &mut Vec<(String, String)>, tags: &[(String, String)]) {
    for (n, (key, value)) in tags.iter().enumerate() {
        params.push((format!("Tag.{}.Key", n + 1), key.clone()));
        params.push((format!("Tag.{}.Value", n + 1), value.clone()));
    }
}

fn paging_params(params: &mut Vec<(String, String)>, next_token: &Option<String>, max: u32) {
    params.push(("MaxResults".to_owned(), max.to_string()));
    if let Some(token) = next_token {
        params.push(("NextToken".to_owned(), token.clone()));
    }
}

// ---------------------------------------------------------------------------------------------
// Instances

/// An instance as DescribeInstances and DescribeInstanceAttribute describe it (the fields sgform
/// uses; the rest is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Instance {
    #[serde(rename = "InstanceId")]
    pub instance_id: InstanceId,
    #[serde(rename = "InstanceName", default)]
    pub instance_name: String,
    #[serde(rename = "RegionId", default)]
    pub region_id: String,
    #[serde(rename = "ZoneId", default)]
    pub zone_id: String,
    /// `Pending`, `Running`, `Starting`, `Stopping`, `Stopped`.
    #[serde(rename = "Status", default)]
    pub status: String,
    /// `vpc` or `classic`.
    #[serde(rename = "InstanceNetworkType", default)]
    pub instance_network_type: String,
    /// e.g. `ecs.g7.large`; decides whether enterprise security groups are supported.
    #[serde(rename = "InstanceType", default)]
    pub instance_type: String,
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "list")]
    pub security_group_ids: Vec<SecurityGroupId>,
    #[serde(rename = "VpcAttributes", default)]
    pub vpc_attributes: Option<VpcAttributes>,
    #[serde(rename = "NetworkInterfaces", default, deserialize_with = "list")]
    pub network_interfaces: Vec<InstanceNetworkInterface>,
    #[serde(rename = "OperationLocks", default, deserialize_with = "list")]
    pub operation_locks: Vec<OperationLock>,
    #[serde(rename = "Tags", default, deserialize_with = "list")]
    pub tags: Vec<Tag>,
}

impl Instance {
    /// The VPC, for VPC instances.
    pub fn vpc_id(&self) -> Option<&VpcId> {
        self.vpc_attributes.as_ref().and_then(|v| v.vpc_id.as_ref())
    }

    /// Whether an operation lock with reason `security` blocks membership changes.
    pub fn locked_for_security(&self) -> bool {
        self.operation_locks
            .iter()
            .any(|l| l.lock_reason.eq_ignore_ascii_case("security"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VpcAttributes {
    #[serde(rename = "VpcId", default, deserialize_with = "opt_id")]
    pub vpc_id: Option<VpcId>,
    #[serde(rename = "VSwitchId", default)]
    pub vswitch_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstanceNetworkInterface {
    #[serde(rename = "NetworkInterfaceId")]
    pub network_interface_id: NetworkInterfaceId,
    /// `Primary` or `Secondary` (newer answers only).
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
    #[serde(rename = "PrimaryIpAddress", default)]
    pub primary_ip_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OperationLock {
    #[serde(rename = "LockReason", default)]
    pub lock_reason: String,
}

/// DescribeInstances: filters and one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeInstances {
    /// `InstanceIds` as a JSON array, at most 100; `Some(empty)` is a valid filter with an empty
    /// result.
    pub instance_ids: Option<Vec<InstanceId>>,
    pub security_group_id: Option<SecurityGroupId>,
    pub vpc_id: Option<VpcId>,
    /// `Status`: `Running`, `Stopped`, …
    pub status: Option<String>,
    /// `Tag.N.Key` / `Tag.N.Value` (at most 20); every pair must match.
    pub tags: Vec<(String, String)>,
    pub next_token: Option<String>,
    pub max_results: Option<u32>,
}

#[derive(Deserialize)]
struct InstancesRaw {
    #[serde(rename = "NextToken", default)]
    next_token: Option<String>,
    #[serde(rename = "Instances", default, deserialize_with = "list")]
    instances: Vec<Instance>,
}

impl Action for DescribeInstances {
    const NAME: &'static str = "DescribeInstances";
    type Output = Page<Instance>;

    fn params(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if let Some(ids) = &self.instance_ids {
            p.push(("InstanceIds".to_owned(), json_array(ids)));
        }
        if let Some(sg) = &self.security_group_id {
            p.push(("SecurityGroupId".to_owned(), sg.to_string()));
        }
        if let Some(vpc) = &self.vpc_id {
            p.push(("VpcId".to_owned(), vpc.to_string()));
        }
        if let Some(status) = &self.status {
            p.push(("Status".to_owned(), status.clone()));
        }
        tag_params(&mut p, &self.tags);
        paging_params(
            &mut p,
            &self.next_token,
            self.max_results.unwrap_or(PAGE_SIZE),
        );
        p
    }

    fn output(response: &Response) -> Result<Page<Instance>, Error> {
        parse_page(response, |r: InstancesRaw| (r.next_token, r.instances))
    }
}

impl Paged for DescribeInstances {
    type Item = Instance;
    fn next_token_mut(&mut self) -> &mut Option<String> {
        &mut self.next_token
    }
}

/// DescribeInstanceAttribute: one instance, answered flat (no wrapper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeInstanceAttribute {
    pub instance_id: InstanceId,
}

impl Action for DescribeInstanceAttribute {
    const NAME: &'static str = "DescribeInstanceAttribute";
    type Output = Instance;

    fn params(&self) -> Vec<(String, String)> {
        vec![("InstanceId".to_owned(), self.instance_id.to_string())]
    }

    fn output(response: &Response) -> Result<Instance, Error> {
        response.parse()
    }
}

// ---------------------------------------------------------------------------------------------
// Network interfaces

/// An ENI as DescribeNetworkInterfaces describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetworkInterface {
    #[serde(rename = "NetworkInterfaceId")]
    pub network_interface_id: NetworkInterfaceId,
    #[serde(rename = "NetworkInterfaceName", default)]
    pub network_interface_name: String,
    /// `Primary` or `Secondary` (only secondary ENIs change groups on their own).
    #[serde(rename = "Type", default)]
    pub kind: String,
    /// `Available`, `Attaching`, `InUse`, `Detaching`, `Deleting`.
    #[serde(rename = "Status", default)]
    pub status: String,
    #[serde(rename = "InstanceId", default, deserialize_with = "opt_id")]
    pub instance_id: Option<InstanceId>,
    #[serde(rename = "VpcId", default, deserialize_with = "opt_id")]
    pub vpc_id: Option<VpcId>,
    #[serde(rename = "ZoneId", default)]
    pub zone_id: String,
    #[serde(rename = "ServiceManaged", default)]
    pub service_managed: bool,
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "list")]
    pub security_group_ids: Vec<SecurityGroupId>,
    #[serde(rename = "Tags", default, deserialize_with = "list")]
    pub tags: Vec<Tag>,
}

/// DescribeNetworkInterfaces: filters and one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeNetworkInterfaces {
    /// `NetworkInterfaceId.N`, at most 100.
    pub network_interface_ids: Vec<NetworkInterfaceId>,
    pub instance_id: Option<InstanceId>,
    /// Matches secondary ENIs only (the API's rule).
    pub security_group_id: Option<SecurityGroupId>,
    pub vpc_id: Option<VpcId>,
    /// `Status`: `Available`, `InUse`, …
    pub status: Option<String>,
    /// `Tag.N.Key` / `Tag.N.Value` (at most 20); every pair must match.
    pub tags: Vec<(String, String)>,
    pub next_token: Option<String>,
    pub max_results: Option<u32>,
}

#[derive(Deserialize)]
struct NetworkInterfacesRaw {
    #[serde(rename = "NextToken", default)]
    next_token: Option<String>,
    #[serde(rename = "NetworkInterfaceSets", default, deserialize_with = "list")]
    sets: Vec<NetworkInterface>,
}

impl Action for DescribeNetworkInterfaces {
    const NAME: &'static str = "DescribeNetworkInterfaces";
    type Output = Page<NetworkInterface>;

    fn params(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        for (i, id) in self.network_interface_ids.iter().enumerate() {
            p.push((format!("NetworkInterfaceId.{}", i + 1), id.to_string()));
        }
        if let Some(id) = &self.instance_id {
            p.push(("InstanceId".to_owned(), id.to_string()));
        }
        if let Some(sg) = &self.security_group_id {
            p.push(("SecurityGroupId".to_owned(), sg.to_string()));
        }
        if let Some(vpc) = &self.vpc_id {
            p.push(("VpcId".to_owned(), vpc.to_string()));
        }
        if let Some(status) = &self.status {
            p.push(("Status".to_owned(), status.clone()));
        }
        tag_params(&mut p, &self.tags);
        paging_params(
            &mut p,
            &self.next_token,
            self.max_results.unwrap_or(PAGE_SIZE),
        );
        p
    }

    fn output(response: &Response) -> Result<Page<NetworkInterface>, Error> {
        parse_page(response, |r: NetworkInterfacesRaw| (r.next_token, r.sets))
    }
}

impl Paged for DescribeNetworkInterfaces {
    type Item = NetworkInterface;
    fn next_token_mut(&mut self) -> &mut Option<String> {
        &mut self.next_token
    }
}

// ---------------------------------------------------------------------------------------------
// Security groups

/// A security group as DescribeSecurityGroups describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SecurityGroup {
    #[serde(rename = "SecurityGroupId")]
    pub security_group_id: SecurityGroupId,
    #[serde(rename = "SecurityGroupName", default)]
    pub security_group_name: String,
    #[serde(rename = "Description", default)]
    pub description: String,
    /// `normal` or `enterprise`.
    #[serde(rename = "SecurityGroupType", default)]
    pub security_group_type: String,
    #[serde(rename = "VpcId", default, deserialize_with = "opt_id")]
    pub vpc_id: Option<VpcId>,
    #[serde(rename = "ServiceManaged", default)]
    pub service_managed: bool,
    #[serde(rename = "RuleCount", default)]
    pub rule_count: Option<u64>,
    /// Members now (instances plus non-primary ENIs); only with `IsQueryEcsCount=true`.
    #[serde(rename = "EcsCount", default)]
    pub ecs_count: Option<u64>,
    /// Members it can still take; only with `IsQueryEcsCount=true`.
    #[serde(rename = "AvailableInstanceAmount", default)]
    pub available_instance_amount: Option<u64>,
    #[serde(rename = "Tags", default, deserialize_with = "list")]
    pub tags: Vec<Tag>,
}

/// DescribeSecurityGroups: filters and one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeSecurityGroups {
    /// `SecurityGroupIds` as a JSON array, at most 100.
    pub security_group_ids: Option<Vec<SecurityGroupId>>,
    pub vpc_id: Option<VpcId>,
    /// `IsQueryEcsCount=true`: answer `EcsCount` and `AvailableInstanceAmount` too.
    pub is_query_ecs_count: bool,
    pub next_token: Option<String>,
    pub max_results: Option<u32>,
}

#[derive(Deserialize)]
struct SecurityGroupsRaw {
    #[serde(rename = "NextToken", default)]
    next_token: Option<String>,
    #[serde(rename = "SecurityGroups", default, deserialize_with = "list")]
    groups: Vec<SecurityGroup>,
}

impl Action for DescribeSecurityGroups {
    const NAME: &'static str = "DescribeSecurityGroups";
    type Output = Page<SecurityGroup>;

    fn params(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if let Some(ids) = &self.security_group_ids {
            p.push(("SecurityGroupIds".to_owned(), json_array(ids)));
        }
        if let Some(vpc) = &self.vpc_id {
            p.push(("VpcId".to_owned(), vpc.to_string()));
        }
        if self.is_query_ecs_count {
            p.push(("IsQueryEcsCount".to_owned(), "true".to_owned()));
        }
        paging_params(
            &mut p,
            &self.next_token,
            self.max_results.unwrap_or(PAGE_SIZE),
        );
        p
    }

    fn output(response: &Response) -> Result<Page<SecurityGroup>, Error> {
        parse_page(response, |r: SecurityGroupsRaw| (r.next_token, r.groups))
    }
}

impl Paged for DescribeSecurityGroups {
    type Item = SecurityGroup;
    fn next_token_mut(&mut self) -> &mut Option<String> {
        &mut self.next_token
    }
}

// ---------------------------------------------------------------------------------------------
// Regions

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Region {
    #[serde(rename = "RegionId")]
    pub region_id: String,
    #[serde(rename = "LocalName", default)]
    pub local_name: String,
    #[serde(rename = "RegionEndpoint", default)]
    pub region_endpoint: String,
    #[serde(rename = "Status", default)]
    pub status: String,
}

/// DescribeRegions (not paged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeRegions {
    /// `AcceptLanguage` (`en-US`, `zh-CN`, …).
    pub accept_language: Option<String>,
}

#[derive(Deserialize)]
struct RegionsRaw {
    #[serde(rename = "Regions", default, deserialize_with = "list")]
    regions: Vec<Region>,
}

impl Action for DescribeRegions {
    const NAME: &'static str = "DescribeRegions";
    type Output = Vec<Region>;

    fn params(&self) -> Vec<(String, String)> {
        self.accept_language
            .iter()
            .map(|l| ("AcceptLanguage".to_owned(), l.clone()))
            .collect()
    }

    fn output(response: &Response) -> Result<Vec<Region>, Error> {
        Ok(response.parse::<RegionsRaw>()?.regions)
    }
}

// ---------------------------------------------------------------------------------------------
// Paging and batching

/// A generous ceiling on pages per listing, so a misbehaving endpoint cannot loop forever.
const MAX_PAGES: usize = 10_000;

impl Client {
    /// Every item of a paged listing, following `NextToken` until it is absent or empty.
    pub async fn collect_pages<A: Paged>(&self, first: A) -> Result<Vec<A::Item>, Error> {
        Ok(self.collect_pages_counted(first).await?.0)
    }

    /// [`Client::collect_pages`], also saying how many pages (requests, not counting retries)
    /// it took, for callers that report their API budget.
    pub async fn collect_pages_counted<A: Paged>(
        &self,
        first: A,
    ) -> Result<(Vec<A::Item>, usize), Error> {
        let mut items = Vec::new();
        let mut seen = BTreeSet::new();
        let mut request = first;
        for pages in 1..=MAX_PAGES {
            let page = self.send(&request).await?;
            items.extend(page.items);
            match page.next_token {
                None => return Ok((items, pages)),
                Some(token) => {
                    if !seen.insert(token.clone()) {
                        return Err(Error::Paging {
                            action: A::NAME.to_owned(),
                            detail: "the server returned the same NextToken twice".to_owned(),
                        });
                    }
                    request = request.with_next_token(Some(token));
                }
            }
        }
        Err(Error::Paging {
            action: A::NAME.to_owned(),
            detail: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// Instances by ID in the client's region, batched by [`TargetsById`] (the ones found).
    pub async fn describe_instances_by_id(
        &self,
        ids: &[InstanceId],
    ) -> Result<Vec<Instance>, Error> {
        let read = TargetsById {
            region: self.region().clone(),
            instance_ids: ids.to_vec(),
            network_interface_ids: Vec::new(),
        };
        Ok(self
            .read_targets(&read)
            .await?
            .instances
            .into_values()
            .collect())
    }

    /// ENIs by ID in the client's region, batched by [`TargetsById`] (the ones found).
    pub async fn describe_network_interfaces_by_id(
        &self,
        ids: &[NetworkInterfaceId],
    ) -> Result<Vec<NetworkInterface>, Error> {
        let read = TargetsById {
            region: self.region().clone(),
            instance_ids: Vec::new(),
            network_interface_ids: ids.to_vec(),
        };
        Ok(self
            .read_targets(&read)
            .await?
            .network_interfaces
            .into_values()
            .collect())
    }

    /// Security groups by ID, in batches of at most 100 (`SecurityGroupIds`), every page of each.
    pub async fn describe_security_groups_by_id(
        &self,
        ids: &[SecurityGroupId],
    ) -> Result<Vec<SecurityGroup>, Error> {
        let mut out = Vec::new();
        for chunk in ids.chunks(MAX_IDS_PER_CALL) {
            check_batch(
                DescribeSecurityGroups::NAME,
                "security group IDs",
                chunk.len(),
            )?;
            let request = DescribeSecurityGroups {
                security_group_ids: Some(chunk.to_vec()),
                ..Default::default()
            };
            out.extend(self.collect_pages(request).await?);
        }
        Ok(out)
    }
}
