//! The Describe actions and their answers: instances, one instance's attributes, network
//! interfaces, security groups and regions.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::params::{
    PageLimits, invalid, json_id_list, missing, page, paged_body, paging, repeat_list, tag_filters,
    tags_json, tags_match,
};
use super::{Body, Request};
use crate::emulator::catalog::{ApiError, Code};
use crate::emulator::id_format::well_formed;
use crate::emulator::world::{Instance, NetworkInterface, SecurityGroup, World};

impl World {
    pub(super) fn required_region(req: &Request) -> Result<&str, ApiError> {
        req.get("RegionId")
            .ok_or_else(|| ApiError::new(Code::MissingRegionId))
    }

    pub(super) fn instance_json(&self, inst: &Instance) -> Value {
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

    pub(super) fn describe_instances(
        &self,
        account: &str,
        req: &Request,
    ) -> Result<Body, ApiError> {
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

    pub(super) fn describe_instance_attribute(
        &self,
        account: &str,
        req: &Request,
    ) -> Result<Body, ApiError> {
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

    pub(super) fn eni_json(&self, eni: &NetworkInterface) -> Value {
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

    pub(super) fn describe_enis(&self, account: &str, req: &Request) -> Result<Body, ApiError> {
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

    pub(super) fn describe_groups(&self, account: &str, req: &Request) -> Result<Body, ApiError> {
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

    pub(super) fn describe_regions(&self, _account: &str) -> Body {
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
