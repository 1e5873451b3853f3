//! `JoinSecurityGroup` and `LeaveSecurityGroup`, for an instance or a network interface.

use super::checks::Target;
use super::params::missing;
use super::{Body, Request};
use crate::emulator::catalog::{ApiError, Code};
use crate::emulator::id_format::well_formed;
use crate::emulator::world::{GroupType, NetworkType, World};

impl World {
    pub(super) fn join_or_leave(
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
}
