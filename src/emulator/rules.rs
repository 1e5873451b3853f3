//! The business rules of the nine actions: parameter parsing, the checks of the seed document and
//! the reference (§4), and the answers. No HTTP, no authentication, no clock: the server (or a
//! test using the world as an oracle) calls [`World::apply`] with the caller's account.
//!
//! The order of the checks matters where several rules are broken at once; it follows the
//! seed's table as far as it can be inferred: parameters, existence, ownership, the target's
//! state, the group, then the limits.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::catalog::{ApiError, Code};
use super::world::{GroupType, Instance, NetworkInterface, NetworkType, SecurityGroup, World};

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

/// Whether `id` looks like an ID of the kind `prefix` (`i-`, `sg-`, `eni-`, `vpc-`): 8 to 32
/// lower-case letters and digits after the prefix, as real IDs are.
pub fn well_formed(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|body| {
        (8..=32).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

fn missing(name: &str) -> ApiError {
    ApiError::detail(
        Code::MissingParameter,
        format!(
            "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
        ),
    )
}

fn invalid(text: impl Into<String>) -> ApiError {
    ApiError::detail(Code::InvalidParameter, text)
}

/// `Name.1`, `Name.2`, … in numeric order.
fn repeat_list(req: &Request, name: &str) -> Vec<String> {
    let prefix = format!("{name}.");
    let mut items: Vec<(u64, String)> = req
        .params
        .iter()
        .filter_map(|(k, v)| {
            let n = k.strip_prefix(&prefix)?.parse::<u64>().ok()?;
            Some((n, v.clone()))
        })
        .collect();
    items.sort();
    items.into_iter().map(|(_, v)| v).collect()
}

/// `Tag.N.Key` / `Tag.N.Value` filters: every pair must match; a key alone matches any value.
fn tag_filters(req: &Request) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut tags = Vec::new();
    for n in 1..=20 {
        let key = req.get(&format!("Tag.{n}.Key"));
        let value = req.get(&format!("Tag.{n}.Value"));
        match (key, value) {
            (Some(k), v) => tags.push((k.to_owned(), v.map(str::to_owned))),
            (None, Some(_)) => {
                return Err(invalid(format!(
                    "Tag.{n}.Value is given without Tag.{n}.Key."
                )));
            }
            (None, None) => {}
        }
    }
    Ok(tags)
}

fn tags_match(tags: &BTreeMap<String, String>, filters: &[(String, Option<String>)]) -> bool {
    filters.iter().all(|(k, v)| match (tags.get(k), v) {
        (Some(have), Some(want)) => have == want,
        (Some(_), None) => true,
        (None, _) => false,
    })
}

fn tags_json(tags: &BTreeMap<String, String>) -> Value {
    let tag: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    json!({ "Tag": tag })
}

fn json_id_list(req: &Request, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = req.get(name) else {
        return Ok(None);
    };
    let ids: Vec<String> = serde_json::from_str(raw).map_err(|_| {
        invalid(format!(
            "The specified parameter \"{name}\" is not valid: expected a JSON array of IDs such as [\"id-1\",\"id-2\"]."
        ))
    })?;
    if ids.len() > 100 {
        return Err(invalid(format!(
            "The specified parameter \"{name}\" holds {} IDs; at most 100 are allowed.",
            ids.len()
        )));
    }
    Ok(Some(ids))
}

/// Page or token paging, as the Describe actions read it.
struct Paging {
    token: Option<Option<String>>,
    size: usize,
    number: usize,
}

struct PageLimits {
    default_size: usize,
    max_page_size: usize,
    min_results: usize,
    max_results: usize,
}

fn paging(req: &Request, limits: &PageLimits) -> Result<Paging, ApiError> {
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        req.get(name)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    invalid(format!(
                        "The specified parameter \"{name}\" is not valid: `{v}` is not a whole number."
                    ))
                })
            })
            .transpose()
    };
    let token = req.get("NextToken").map(str::to_owned);
    let max_results = number("MaxResults")?;
    if token.is_some() || max_results.is_some() {
        let size = max_results
            .unwrap_or(limits.default_size)
            .clamp(limits.min_results, limits.max_results);
        return Ok(Paging {
            token: Some(token),
            size,
            number: 1,
        });
    }
    let page_number = number("PageNumber")?.unwrap_or(1);
    if page_number == 0 {
        return Err(invalid(
            "The specified parameter \"PageNumber\" is not valid: it starts at 1.",
        ));
    }
    let size = number("PageSize")?.unwrap_or(limits.default_size);
    if size == 0 || size > limits.max_page_size {
        return Err(invalid(format!(
            "The specified parameter \"PageSize\" is not valid: use 1 to {}.",
            limits.max_page_size
        )));
    }
    Ok(Paging {
        token: None,
        size,
        number: page_number,
    })
}

/// Cuts one page out of `items`; the next token is the ID of the first item of the next page.
fn page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    paging: &Paging,
) -> Result<(Vec<T>, String, usize), ApiError> {
    let total = items.len();
    let start = match &paging.token {
        Some(Some(token)) => items.iter().position(|i| id(i) == token).ok_or_else(|| {
            invalid("The specified parameter \"NextToken\" is not valid; start again without it.")
        })?,
        Some(None) => 0,
        None => (paging.number - 1).saturating_mul(paging.size),
    };
    let next = match &paging.token {
        Some(_) => items
            .get(start + paging.size)
            .map(|i| id(i).to_owned())
            .unwrap_or_default(),
        None => String::new(),
    };
    let page = items.into_iter().skip(start).take(paging.size).collect();
    Ok((page, next, total))
}

fn paged_body(
    mut body: Body,
    paging: &Paging,
    next: String,
    total: usize,
    with_total: bool,
) -> Body {
    if paging.token.is_none() {
        body.insert("PageNumber".into(), json!(paging.number));
        body.insert("PageSize".into(), json!(paging.size));
        body.insert("TotalCount".into(), json!(total));
    } else {
        body.insert("MaxResults".into(), json!(paging.size));
        if with_total {
            body.insert("TotalCount".into(), json!(total));
        }
    }
    body.insert("NextToken".into(), json!(next));
    body
}

/// What a Join or Leave names.
enum Target {
    Instance(String),
    Eni(String),
}

const MUTABLE_INSTANCE_STATUSES: &[&str] = &["Running", "Stopped"];
const MUTABLE_ENI_STATUSES: &[&str] = &["Available", "InUse"];

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

    fn lookup_instance(
        &self,
        account: &str,
        id: &str,
        region: Option<&str>,
    ) -> Result<&Instance, ApiError> {
        let inst = self
            .instances
            .get(id)
            .filter(|i| region.is_none_or(|r| r == i.region))
            .ok_or_else(|| ApiError::new(Code::InstanceNotFound))?;
        if inst.owner != account {
            return Err(ApiError::detail(
                Code::NotBelongUser,
                format!("The instance `{id}` does not belong to you."),
            ));
        }
        Ok(inst)
    }

    fn lookup_eni(
        &self,
        account: &str,
        id: &str,
        region: &str,
    ) -> Result<&NetworkInterface, ApiError> {
        let eni = self
            .enis
            .get(id)
            .filter(|e| e.region == region)
            .ok_or_else(|| {
                ApiError::detail(
                    Code::EniNotFound,
                    format!("The specified NetworkInterfaceId `{id}` does not exist in region `{region}`."),
                )
            })?;
        if eni.owner != account {
            return Err(ApiError::detail(
                Code::NotBelongUser,
                format!("The network interface `{id}` does not belong to you."),
            ));
        }
        Ok(eni)
    }

    fn lookup_group(&self, id: &str, region: &str) -> Result<&SecurityGroup, ApiError> {
        if !well_formed(id, "sg-") {
            return Err(ApiError::new(Code::SecurityGroupIdMalformed));
        }
        self.groups
            .get(id)
            .filter(|g| g.region == region)
            .ok_or_else(|| ApiError::new(Code::SecurityGroupNotFound))
    }

    fn check_instance_state(inst: &Instance) -> Result<(), ApiError> {
        if inst.being_created {
            return Err(ApiError::new(Code::InstanceIsBeingCreated));
        }
        if inst.locked_for_security {
            return Err(ApiError::new(Code::InstanceLockedForSecurity));
        }
        if !MUTABLE_INSTANCE_STATUSES.contains(&inst.status.as_str()) {
            return Err(ApiError::new(Code::IncorrectInstanceStatus));
        }
        Ok(())
    }

    fn check_eni_state(eni: &NetworkInterface) -> Result<(), ApiError> {
        if eni.being_created {
            return Err(ApiError::detail(
                Code::EniOrInstanceIsBeingCreated,
                format!("The network interface `{}` is being created", eni.id),
            ));
        }
        if eni.service_managed {
            return Err(ApiError::detail(
                Code::EniServiceManaged,
                format!(
                    "The network interface `{}` is managed by a cloud service; its security groups cannot be changed.",
                    eni.id
                ),
            ));
        }
        Ok(())
    }

    fn check_eni_status(eni: &NetworkInterface) -> Result<(), ApiError> {
        if !MUTABLE_ENI_STATUSES.contains(&eni.status.as_str()) {
            return Err(ApiError::detail(
                Code::InvalidEniState,
                format!(
                    "The network interface `{}` is {}; it must be Available or InUse.",
                    eni.id, eni.status
                ),
            ));
        }
        Ok(())
    }

    fn managed_group(group: &SecurityGroup) -> ApiError {
        ApiError::detail(
            Code::ResourceManagedByCloudProduct,
            format!(
                "The security group `{}` is managed by a cloud service; its members cannot be changed.",
                group.id
            ),
        )
    }

    fn group_types(&self, set: &[String]) -> BTreeSet<GroupType> {
        set.iter()
            .filter_map(|g| self.groups.get(g))
            .map(|g| g.group_type)
            .collect()
    }

    fn rule_total(&self, set: &[String]) -> u64 {
        set.iter()
            .filter_map(|g| self.groups.get(g))
            .map(|g| g.rule_count)
            .sum()
    }

    fn acl_error(&self, target: &str, rules: u64) -> ApiError {
        ApiError::detail(
            Code::AclLimitExceed,
            format!(
                "The security groups of `{target}` would hold {rules} rules; the limit is {}.",
                self.limits.rules_per_target
            ),
        )
    }

    /// Replaces a target's set, keeping member counts and primary ENIs in step.
    fn set_groups(&mut self, target: &Target, groups: Vec<String>) {
        let old = match target {
            Target::Instance(id) => self.instances.get(id).map(|i| i.security_group_ids.clone()),
            Target::Eni(id) => self.enis.get(id).map(|e| e.security_group_ids.clone()),
        }
        .unwrap_or_default();
        for g in &old {
            if let Some(n) = self.members.get_mut(g) {
                *n = n.saturating_sub(1);
            }
        }
        for g in &groups {
            *self.members.entry(g.clone()).or_insert(0) += 1;
        }
        match target {
            Target::Instance(id) => {
                if let Some(inst) = self.instances.get_mut(id) {
                    inst.security_group_ids = groups.clone();
                }
                for eni_id in self.attached.get(id).into_iter().flatten() {
                    if let Some(eni) = self.enis.get_mut(eni_id)
                        && eni.eni_type == "Primary"
                    {
                        eni.security_group_ids = groups.clone();
                    }
                }
            }
            Target::Eni(id) => {
                if let Some(eni) = self.enis.get_mut(id) {
                    eni.security_group_ids = groups;
                }
            }
        }
    }

    fn join_or_leave(
        &mut self,
        account: &str,
        req: &Request,
        join: bool,
    ) -> Result<Body, ApiError> {
        let group_id = req
            .get("SecurityGroupId")
            .ok_or_else(|| missing("SecurityGroupId"))?;
        let target = match (req.get("InstanceId"), req.get("NetworkInterfaceId")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::detail(
                    Code::EniIdAndInstanceIdConflict,
                    "The parameters InstanceId and NetworkInterfaceId are mutually exclusive; specify only one.",
                ));
            }
            (None, None) => return Err(missing("InstanceId")),
            (Some(i), None) => {
                if !well_formed(i, "i-") {
                    return Err(ApiError::new(Code::InstanceIdMalformed));
                }
                Target::Instance(i.to_owned())
            }
            (None, Some(e)) => {
                if !well_formed(e, "eni-") {
                    return Err(ApiError::detail(
                        Code::InvalidParamMalformed,
                        format!(
                            "The specified parameter \"NetworkInterfaceId\" `{e}` is not valid."
                        ),
                    ));
                }
                Target::Eni(e.to_owned())
            }
        };
        if !well_formed(group_id, "sg-") {
            return Err(ApiError::new(Code::SecurityGroupIdMalformed));
        }
        let region = req.get("RegionId");

        // The target: existence, ownership and state.
        let (target_id, current, vpc, classic, supports_enterprise, region) = match &target {
            Target::Instance(id) => {
                let inst = self.lookup_instance(account, id, region)?;
                let group = self.lookup_group(group_id, &inst.region)?;
                if group.owner != account {
                    return Err(ApiError::detail(
                        Code::NotBelongUser,
                        format!("The security group `{group_id}` does not belong to you."),
                    ));
                }
                Self::check_instance_state(inst)?;
                (
                    id.clone(),
                    inst.security_group_ids.clone(),
                    inst.vpc_id.clone(),
                    inst.network_type == NetworkType::Classic,
                    inst.supports_enterprise_groups,
                    inst.region.clone(),
                )
            }
            Target::Eni(id) => {
                let region = region.ok_or_else(|| ApiError::new(Code::MissingRegionId))?;
                let eni = self.lookup_eni(account, id, region)?;
                let group = self.lookup_group(group_id, region)?;
                if group.owner != account {
                    return Err(ApiError::detail(
                        Code::EniAndGroupNotBelongSameUser,
                        format!(
                            "The network interface `{id}` and the security group `{group_id}` do not belong to the same account."
                        ),
                    ));
                }
                Self::check_eni_state(eni)?;
                if eni.eni_type != "Secondary" {
                    let hint = match &eni.instance_id {
                        Some(i) if eni.eni_type == "Primary" => {
                            format!("; change it through its instance `{i}`")
                        }
                        _ => String::new(),
                    };
                    return Err(ApiError::detail(
                        Code::InvalidEniType,
                        format!(
                            "The network interface `{id}` is of type {}, which cannot join or leave security groups this way{hint}.",
                            eni.eni_type
                        ),
                    ));
                }
                Self::check_eni_status(eni)?;
                let supports = eni
                    .instance_id
                    .as_ref()
                    .and_then(|i| self.instances.get(i))
                    .is_none_or(|i| i.supports_enterprise_groups);
                (
                    id.clone(),
                    eni.security_group_ids.clone(),
                    eni.vpc_id.clone(),
                    false,
                    supports,
                    region.to_owned(),
                )
            }
        };
        let group = self.lookup_group(group_id, &region)?.clone();
        if group.service_managed {
            return Err(Self::managed_group(&group));
        }
        let is_member = current.iter().any(|g| g == group_id);

        if !join {
            if !is_member {
                return Err(ApiError::detail(
                    Code::AssociationNotFound,
                    format!("`{target_id}` is not in security group `{group_id}`."),
                ));
            }
            if current.len() <= 1 {
                return Err(ApiError::new(Code::InstanceLastSecurityGroup));
            }
            let rest = current.into_iter().filter(|g| g != group_id).collect();
            self.set_groups(&target, rest);
            return Ok(Body::new());
        }

        // Network: same type, and the same VPC for VPC resources.
        if group.vpc_id != vpc || (classic && group.vpc_id.is_some()) {
            return Err(match target {
                Target::Instance(_) => ApiError::new(Code::InstanceIdMismatch),
                Target::Eni(_) => ApiError::detail(
                    Code::VpcMismatch,
                    format!(
                        "The security group `{group_id}` is in {} but the network interface `{target_id}` is in {}.",
                        group.vpc_id.as_deref().unwrap_or("the classic network"),
                        vpc.as_deref().unwrap_or("the classic network")
                    ),
                ),
            });
        }
        if is_member {
            return Err(ApiError::new(Code::InstanceAlreadyExists));
        }
        if group.group_type == GroupType::Enterprise && !supports_enterprise {
            return Err(ApiError::new(Code::NotSupportEnterpriseGroup));
        }
        if self
            .group_types(&current)
            .iter()
            .any(|t| *t != group.group_type)
        {
            return Err(ApiError::new(Code::MultiGroupType));
        }
        if current.len() >= self.limits.groups_per_target {
            return Err(match target {
                Target::Instance(_) => ApiError::new(Code::InstanceSecurityGroupLimitExceeded),
                Target::Eni(_) => ApiError::detail(
                    Code::EniSecurityGroupLimitExceeded,
                    format!(
                        "The network interface `{target_id}` is already in {} security groups, the most allowed.",
                        current.len()
                    ),
                ),
            });
        }
        if self.member_count(group_id) >= group.capacity {
            return Err(ApiError::new(match group.group_type {
                GroupType::Normal => Code::SecurityGroupInstanceLimitExceeded,
                GroupType::Enterprise => Code::NetworkInterfaceCountExceeded,
            }));
        }
        let rules = self.rule_total(&current) + group.rule_count;
        if rules > self.limits.rules_per_target {
            return Err(self.acl_error(&target_id, rules));
        }
        let mut next = current;
        next.push(group_id.to_owned());
        self.set_groups(&target, next);
        Ok(Body::new())
    }

    /// Checks shared by both Modify actions on the new list; returns the list.
    fn check_new_set(&self, groups: &[String], target_id: &str) -> Result<(), ApiError> {
        let mut seen = BTreeSet::new();
        for g in groups {
            if !seen.insert(g) {
                return Err(ApiError::detail(
                    Code::SecurityGroupIdRepeated,
                    format!("The security group `{g}` is listed more than once."),
                ));
            }
        }
        if groups.len() > self.limits.groups_per_target {
            return Err(ApiError::detail(
                Code::JoinedGroupLimitExceed,
                format!(
                    "`{target_id}` would be in {} security groups; the limit is {}.",
                    groups.len(),
                    self.limits.groups_per_target
                ),
            ));
        }
        Ok(())
    }

    fn modify_instance(&mut self, account: &str, req: &Request) -> Result<Body, ApiError> {
        let id = req.get("InstanceId").ok_or_else(|| missing("InstanceId"))?;
        if !well_formed(id, "i-") {
            return Err(ApiError::new(Code::InstanceIdMalformed));
        }
        let inst = self
            .lookup_instance(account, id, req.get("RegionId"))?
            .clone();
        let groups = repeat_list(req, "SecurityGroupIds");
        if groups.is_empty() {
            if let Some(name) = req.params.get("InstanceName")
                && let Some(i) = self.instances.get_mut(id)
            {
                i.name = name.clone();
            }
            return Ok(Body::new());
        }
        Self::check_instance_state(&inst)?;
        if inst.network_type == NetworkType::Classic {
            return Err(ApiError::detail(
                Code::NetworkTypeNotSupported,
                format!(
                    "The instance `{id}` is in the classic network; its security groups cannot be replaced."
                ),
            ));
        }
        self.check_new_set(&groups, id)?;
        let mut new_groups = Vec::new();
        for g in &groups {
            let group = self.lookup_group(g, &inst.region)?;
            if group.owner != account {
                return Err(ApiError::detail(
                    Code::NotBelongUser,
                    format!("The security group `{g}` does not belong to you."),
                ));
            }
            if group.vpc_id.is_none() {
                return Err(ApiError::detail(
                    Code::SecurityGroupTypeNotSupportClassic,
                    format!("The security group `{g}` is a classic-network group."),
                ));
            }
            if group.vpc_id != inst.vpc_id {
                return Err(ApiError::detail(
                    Code::SecurityGroupVpcNotBelongToOneVpc,
                    format!(
                        "The security group `{g}` is not in the instance's VPC `{}`.",
                        inst.vpc_id.as_deref().unwrap_or_default()
                    ),
                ));
            }
            new_groups.push(group);
        }
        let types: BTreeSet<GroupType> = new_groups.iter().map(|g| g.group_type).collect();
        if types.len() > 1 {
            return Err(ApiError::detail(
                Code::EnterpriseGroupMultiGroupType,
                "The security groups mix normal and enterprise types; a target's groups must all be of one type.",
            ));
        }
        if types.contains(&GroupType::Enterprise) && !inst.supports_enterprise_groups {
            return Err(ApiError::new(Code::NotSupportEnterpriseGroup));
        }
        self.check_changed_groups(&inst.security_group_ids, &groups, false)?;
        let rules = self.rule_total(&groups);
        if rules > self.limits.rules_per_target {
            return Err(self.acl_error(id, rules));
        }
        if let Some(name) = req.params.get("InstanceName")
            && let Some(i) = self.instances.get_mut(id)
        {
            i.name = name.clone();
        }
        self.set_groups(&Target::Instance(id.to_owned()), groups);
        Ok(Body::new())
    }

    /// Service-managed groups on either side of the change, and capacity of the added groups.
    fn check_changed_groups(
        &self,
        old: &[String],
        new: &[String],
        eni: bool,
    ) -> Result<(), ApiError> {
        let added = new.iter().filter(|g| !old.contains(g));
        let removed = old.iter().filter(|g| !new.contains(g));
        for g in added.clone().chain(removed) {
            if let Some(group) = self.groups.get(g)
                && group.service_managed
            {
                return Err(Self::managed_group(group));
            }
        }
        for g in added {
            let Some(group) = self.groups.get(g) else {
                continue;
            };
            if self.member_count(g) >= group.capacity {
                let text = format!(
                    "The security group `{g}` already holds {} members, its capacity.",
                    group.capacity
                );
                return Err(ApiError::detail(
                    match (group.group_type, eni) {
                        (GroupType::Normal, _) => Code::SecurityGroupInstanceLimitExceed,
                        (GroupType::Enterprise, false) => Code::InstanceEniCountExceeded,
                        (GroupType::Enterprise, true) => Code::EniCountExceeded,
                    },
                    text,
                ));
            }
        }
        Ok(())
    }

    fn modify_eni(&mut self, account: &str, req: &Request) -> Result<Body, ApiError> {
        let region = req
            .get("RegionId")
            .ok_or_else(|| ApiError::new(Code::MissingRegionId))?;
        let id = req
            .get("NetworkInterfaceId")
            .ok_or_else(|| missing("NetworkInterfaceId"))?;
        if !well_formed(id, "eni-") {
            return Err(ApiError::detail(
                Code::InvalidParamsEniId,
                format!("The specified parameter \"NetworkInterfaceId\" `{id}` is not valid."),
            ));
        }
        let eni = self.lookup_eni(account, id, region)?.clone();
        let groups = repeat_list(req, "SecurityGroupId");
        if groups.is_empty() {
            return Ok(Body::new());
        }
        if eni.eni_type == "Primary" {
            return Err(ApiError::detail(
                Code::PrimaryEniOnlySupportModifyNameAndDesc,
                format!(
                    "The network interface `{id}` is a primary interface: only its name and description can be modified; change its security groups through its instance{}.",
                    eni.instance_id
                        .as_deref()
                        .map(|i| format!(" `{i}`"))
                        .unwrap_or_default()
                ),
            ));
        }
        Self::check_eni_state(&eni)?;
        if eni.eni_type != "Secondary" {
            return Err(ApiError::detail(
                Code::InvalidEniType,
                format!(
                    "The network interface `{id}` is of type {}, whose security groups cannot be modified.",
                    eni.eni_type
                ),
            ));
        }
        Self::check_eni_status(&eni)?;
        self.check_new_set(&groups, id)?;
        let mut new_groups = Vec::new();
        for g in &groups {
            let group = self.lookup_group(g, region)?;
            if group.owner != account {
                return Err(ApiError::detail(
                    Code::EniAndGroupNotBelongSameUser,
                    format!(
                        "The network interface `{id}` and the security group `{g}` do not belong to the same account."
                    ),
                ));
            }
            if group.vpc_id.is_none() {
                return Err(ApiError::detail(
                    Code::SecurityGroupIdNotVpc,
                    format!("The security group `{g}` is not a VPC security group."),
                ));
            }
            if group.vpc_id != eni.vpc_id {
                return Err(ApiError::detail(
                    Code::VpcMismatch,
                    format!(
                        "The security group `{g}` is not in the network interface's VPC `{}`.",
                        eni.vpc_id.as_deref().unwrap_or_default()
                    ),
                ));
            }
            new_groups.push(group);
        }
        let types: BTreeSet<GroupType> = new_groups.iter().map(|g| g.group_type).collect();
        if types.len() > 1 {
            return Err(ApiError::detail(
                Code::EniMultiGroupType,
                "The security groups mix normal and enterprise types; a target's groups must all be of one type.",
            ));
        }
        let supports = eni
            .instance_id
            .as_ref()
            .and_then(|i| self.instances.get(i))
            .is_none_or(|i| i.supports_enterprise_groups);
        if types.contains(&GroupType::Enterprise) && !supports {
            return Err(ApiError::new(Code::NotSupportEnterpriseGroup));
        }
        self.check_changed_groups(&eni.security_group_ids, &groups, true)?;
        let rules = self.rule_total(&groups);
        if rules > self.limits.rules_per_target {
            return Err(self.acl_error(id, rules));
        }
        self.set_groups(&Target::Eni(id.to_owned()), groups);
        Ok(Body::new())
    }

    fn required_region(req: &Request) -> Result<&str, ApiError> {
        req.get("RegionId")
            .ok_or_else(|| ApiError::new(Code::MissingRegionId))
    }

    fn instance_json(&self, inst: &Instance) -> Value {
        let enis: Vec<Value> = self
            .attached
            .get(&inst.id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.enis.get(id))
            .map(|e| json!({"NetworkInterfaceId": e.id, "Type": e.eni_type}))
            .collect();
        let locks: Vec<Value> = if inst.locked_for_security {
            vec![json!({"LockReason": "security"})]
        } else {
            Vec::new()
        };
        json!({
            "InstanceId": inst.id,
            "InstanceName": inst.name,
            "RegionId": inst.region,
            "ZoneId": format!("{}-a", inst.region),
            "Status": inst.answered_status(),
            "InstanceNetworkType": inst.network_type.as_str(),
            "InstanceType": inst.instance_type(),
            "CreationTime": "2024-01-01T00:00Z",
            "SecurityGroupIds": { "SecurityGroupId": inst.security_group_ids },
            "VpcAttributes": {
                "VpcId": inst.vpc_id.clone().unwrap_or_default(),
                "VSwitchId": "",
                "NatIpAddress": "",
                "PrivateIpAddress": { "IpAddress": [] }
            },
            "NetworkInterfaces": { "NetworkInterface": enis },
            "OperationLocks": { "LockReason": locks },
            "Tags": tags_json(&inst.tags),
        })
    }

    fn describe_instances(&self, account: &str, req: &Request) -> Result<Body, ApiError> {
        let region = Self::required_region(req)?;
        let ids = json_id_list(req, "InstanceIds")?;
        let paging = paging(
            req,
            &PageLimits {
                default_size: 10,
                max_page_size: 100,
                min_results: 10,
                max_results: 100,
            },
        )?;
        let tags = tag_filters(req)?;
        let vpc = req.get("VpcId");
        let status = req.get("Status");
        let group = req.get("SecurityGroupId");
        let network = req.get("InstanceNetworkType");
        let name = req.get("InstanceName");
        let visible = |i: &&Instance| i.owner == account && i.region == region;
        let candidates: Vec<&Instance> = match &ids {
            Some(ids) => {
                let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
                self.instances
                    .values()
                    .filter(|i| wanted.contains(i.id.as_str()))
                    .collect()
            }
            None => self.instances.values().collect(),
        };
        let matching: Vec<&Instance> = candidates
            .into_iter()
            .filter(visible)
            .filter(|i| vpc.is_none_or(|v| i.vpc_id.as_deref() == Some(v)))
            .filter(|i| status.is_none_or(|s| i.answered_status() == s))
            .filter(|i| group.is_none_or(|g| i.security_group_ids.iter().any(|x| x == g)))
            .filter(|i| network.is_none_or(|n| i.network_type.as_str() == n))
            .filter(|i| name.is_none_or(|n| i.name == n))
            .filter(|i| tags_match(&i.tags, &tags))
            .collect();
        let (page, next, total) = page(matching, |i| i.id.as_str(), &paging)?;
        let items: Vec<Value> = page.into_iter().map(|i| self.instance_json(i)).collect();
        let mut body = Body::new();
        body.insert("Instances".into(), json!({ "Instance": items }));
        Ok(paged_body(body, &paging, next, total, true))
    }

    fn describe_instance_attribute(&self, account: &str, req: &Request) -> Result<Body, ApiError> {
        let id = req.get("InstanceId").ok_or_else(|| missing("InstanceId"))?;
        if !well_formed(id, "i-") {
            return Err(ApiError::new(Code::InstanceIdMalformed));
        }
        // Another account's instance is invisible here, as it is in DescribeInstances.
        let inst = self
            .instances
            .get(id)
            .filter(|i| i.owner == account)
            .ok_or_else(|| ApiError::new(Code::InstanceNotFound))?;
        match self.instance_json(inst) {
            Value::Object(map) => Ok(map),
            _ => Ok(Body::new()),
        }
    }

    fn eni_json(&self, eni: &NetworkInterface) -> Value {
        json!({
            "NetworkInterfaceId": eni.id,
            "NetworkInterfaceName": "",
            "Type": eni.eni_type,
            "Status": eni.answered_status(),
            "InstanceId": eni.instance_id.clone().unwrap_or_default(),
            "VpcId": eni.vpc_id.clone().unwrap_or_default(),
            "VSwitchId": "",
            "ZoneId": format!("{}-a", eni.region),
            "OwnerId": eni.owner,
            "ServiceManaged": eni.service_managed,
            "CreationTime": "2024-01-01T00:00:00Z",
            "SecurityGroupIds": { "SecurityGroupId": eni.security_group_ids },
            "Tags": tags_json(&eni.tags),
        })
    }

    fn describe_enis(&self, account: &str, req: &Request) -> Result<Body, ApiError> {
        let region = Self::required_region(req)?;
        let ids = repeat_list(req, "NetworkInterfaceId");
        if ids.len() > 100 {
            return Err(invalid(format!(
                "NetworkInterfaceId.N lists {} IDs; at most 100 are allowed.",
                ids.len()
            )));
        }
        let paging = paging(
            req,
            &PageLimits {
                default_size: 10,
                max_page_size: 1000,
                min_results: 10,
                max_results: 500,
            },
        )?;
        let tags = tag_filters(req)?;
        let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        let instance = req.get("InstanceId");
        let vpc = req.get("VpcId");
        let eni_type = req.get("Type");
        let status = req.get("Status");
        let group = req.get("SecurityGroupId");
        let matching: Vec<&NetworkInterface> = self
            .enis
            .values()
            .filter(|e| e.owner == account && e.region == region)
            .filter(|e| wanted.is_empty() || wanted.contains(e.id.as_str()))
            .filter(|e| instance.is_none_or(|i| e.instance_id.as_deref() == Some(i)))
            .filter(|e| vpc.is_none_or(|v| e.vpc_id.as_deref() == Some(v)))
            .filter(|e| eni_type.is_none_or(|t| e.eni_type == t))
            .filter(|e| status.is_none_or(|s| e.answered_status() == s))
            // As documented: this filter matches secondary interfaces only.
            .filter(|e| {
                group.is_none_or(|g| {
                    e.eni_type != "Primary" && e.security_group_ids.iter().any(|x| x == g)
                })
            })
            .filter(|e| tags_match(&e.tags, &tags))
            .collect();
        let (page, next, total) = page(matching, |e| e.id.as_str(), &paging)?;
        let items: Vec<Value> = page.into_iter().map(|e| self.eni_json(e)).collect();
        let mut body = Body::new();
        body.insert(
            "NetworkInterfaceSets".into(),
            json!({ "NetworkInterfaceSet": items }),
        );
        Ok(paged_body(body, &paging, next, total, true))
    }

    fn describe_groups(&self, account: &str, req: &Request) -> Result<Body, ApiError> {
        let region = Self::required_region(req)?;
        let ids = json_id_list(req, "SecurityGroupIds")?;
        let paging = paging(
            req,
            &PageLimits {
                default_size: 10,
                max_page_size: 100,
                min_results: 1,
                max_results: 100,
            },
        )?;
        let tags = tag_filters(req)?;
        let single = req.get("SecurityGroupId");
        let vpc = req.get("VpcId");
        let group_type = req.get("SecurityGroupType");
        let name = req.get("SecurityGroupName");
        let with_count = req.get("IsQueryEcsCount") == Some("true");
        let wanted: Option<BTreeSet<&str>> = ids
            .as_ref()
            .map(|ids| ids.iter().map(String::as_str).collect());
        let matching: Vec<&SecurityGroup> = self
            .groups
            .values()
            .filter(|g| g.owner == account && g.region == region)
            .filter(|g| wanted.as_ref().is_none_or(|w| w.contains(g.id.as_str())))
            .filter(|g| single.is_none_or(|s| g.id == s))
            .filter(|g| vpc.is_none_or(|v| g.vpc_id.as_deref() == Some(v)))
            .filter(|g| group_type.is_none_or(|t| g.group_type.as_str() == t))
            .filter(|g| name.is_none_or(|n| g.name == n))
            .filter(|g| tags_match(&g.tags, &tags))
            .collect();
        let (page, next, total) = page(matching, |g| g.id.as_str(), &paging)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|g| {
                let mut item = json!({
                    "SecurityGroupId": g.id,
                    "SecurityGroupName": g.name,
                    "Description": "",
                    "SecurityGroupType": g.group_type.as_str(),
                    "VpcId": g.vpc_id.clone().unwrap_or_default(),
                    "CreationTime": "2024-01-01T00:00:00Z",
                    "ResourceGroupId": "",
                    "ServiceManaged": g.service_managed,
                    "RuleCount": g.rule_count,
                    "GroupToGroupRuleCount": 0,
                    "Tags": tags_json(&g.tags),
                });
                if with_count && let Value::Object(map) = &mut item {
                    let members = self.member_count(&g.id);
                    map.insert("EcsCount".into(), json!(members));
                    map.insert(
                        "AvailableInstanceAmount".into(),
                        json!(g.capacity.saturating_sub(members)),
                    );
                }
                item
            })
            .collect();
        let mut body = Body::new();
        body.insert("RegionId".into(), json!(region));
        body.insert("SecurityGroups".into(), json!({ "SecurityGroup": items }));
        Ok(paged_body(body, &paging, next, total, false))
    }

    fn describe_regions(&self, _account: &str) -> Body {
        let mut regions: BTreeSet<&str> = BTreeSet::new();
        regions.extend(self.vpcs.values().map(|v| v.region.as_str()));
        regions.extend(self.groups.values().map(|g| g.region.as_str()));
        regions.extend(self.instances.values().map(|i| i.region.as_str()));
        regions.extend(self.enis.values().map(|e| e.region.as_str()));
        if regions.is_empty() {
            regions.insert("cn-hangzhou");
        }
        let items: Vec<Value> = regions
            .into_iter()
            .map(|r| {
                json!({
                    "RegionId": r,
                    "LocalName": local_name(r),
                    "RegionEndpoint": format!("ecs.{r}.aliyuncs.com"),
                    "Status": "available",
                })
            })
            .collect();
        let mut body = Body::new();
        body.insert("Regions".into(), json!({ "Region": items }));
        body
    }
}

fn local_name(region: &str) -> &str {
    match region {
        "cn-hangzhou" => "华东1（杭州）",
        "cn-shanghai" => "华东2（上海）",
        "cn-beijing" => "华北2（北京）",
        "cn-shenzhen" => "华南1（深圳）",
        "cn-zhangjiakou" => "华北3（张家口）",
        "cn-qingdao" => "华北1（青岛）",
        "cn-hongkong" => "中国香港",
        "ap-southeast-1" => "新加坡",
        "us-west-1" => "美国（硅谷）",
        "eu-central-1" => "德国（法兰克福）",
        other => other,
    }
}
