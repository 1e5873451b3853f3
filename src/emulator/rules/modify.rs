//! `ModifyInstanceAttribute` and `ModifyNetworkInterfaceAttribute`: replacing a target's whole
//! set of groups.

use std::collections::BTreeSet;

use super::checks::Target;
use super::params::{missing, repeat_list};
use super::{Body, Request};
use crate::emulator::catalog::{ApiError, Code};
use crate::emulator::id_format::well_formed;
use crate::emulator::world::{GroupType, NetworkType, World};

impl World {
    /// Checks shared by both Modify actions on the new list; returns the list.
    pub(super) fn check_new_set(&self, groups: &[String], target_id: &str) -> Result<(), ApiError> {
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

    pub(super) fn modify_instance(
        &mut self,
        account: &str,
        req: &Request,
    ) -> Result<Body, ApiError> {
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
    pub(super) fn check_changed_groups(
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

    pub(super) fn modify_eni(&mut self, account: &str, req: &Request) -> Result<Body, ApiError> {
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
}
