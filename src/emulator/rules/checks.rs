//! Checks shared by the mutations: looking a target or group up (existence, region,
//! ownership), the target's state, service-managed groups, rule totals, and the one place a
//! target's set changes ([`World::set_groups`]).

use std::collections::BTreeSet;

use crate::emulator::catalog::{ApiError, Code};
use crate::emulator::id_format::well_formed;
use crate::emulator::world::{GroupType, Instance, NetworkInterface, SecurityGroup, World};

/// What a Join or Leave names.
pub(super) enum Target {
    Instance(String),
    Eni(String),
}

pub(super) const MUTABLE_INSTANCE_STATUSES: &[&str] = &["Running", "Stopped"];
pub(super) const MUTABLE_ENI_STATUSES: &[&str] = &["Available", "InUse"];

impl World {
    pub(super) fn lookup_instance(
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

    pub(super) fn lookup_eni(
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

    pub(super) fn lookup_group(&self, id: &str, region: &str) -> Result<&SecurityGroup, ApiError> {
        if !well_formed(id, "sg-") {
            return Err(ApiError::new(Code::SecurityGroupIdMalformed));
        }
        self.groups
            .get(id)
            .filter(|g| g.region == region)
            .ok_or_else(|| ApiError::new(Code::SecurityGroupNotFound))
    }

    pub(super) fn check_instance_state(inst: &Instance) -> Result<(), ApiError> {
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

    pub(super) fn check_eni_state(eni: &NetworkInterface) -> Result<(), ApiError> {
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

    pub(super) fn check_eni_status(eni: &NetworkInterface) -> Result<(), ApiError> {
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

    pub(super) fn managed_group(group: &SecurityGroup) -> ApiError {
        ApiError::detail(
            Code::ResourceManagedByCloudProduct,
            format!(
                "The security group `{}` is managed by a cloud service; its members cannot be changed.",
                group.id
            ),
        )
    }

    pub(super) fn group_types(&self, set: &[String]) -> BTreeSet<GroupType> {
        set.iter()
            .filter_map(|g| self.groups.get(g))
            .map(|g| g.group_type)
            .collect()
    }

    pub(super) fn rule_total(&self, set: &[String]) -> u64 {
        set.iter()
            .filter_map(|g| self.groups.get(g))
            .map(|g| g.rule_count)
            .sum()
    }

    pub(super) fn acl_error(&self, target: &str, rules: u64) -> ApiError {
        ApiError::detail(
            Code::AclLimitExceed,
            format!(
                "The security groups of `{target}` would hold {rules} rules; the limit is {}.",
                self.limits.rules_per_target
            ),
        )
    }

    /// Replaces a target's set, keeping member counts and primary ENIs in step.
    pub(super) fn set_groups(&mut self, target: &Target, groups: Vec<String>) {
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
}
