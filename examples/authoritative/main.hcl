# Authoritative declarations: sgform removes what they do not list, including changes made
# by hand outside sgform.

provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}

locals {
  bastion    = "i-bp1bastion000001"
  privileged = "sg-bp1privileged01"
}

# Authoritative for one target: the bastion host is in exactly these groups. The security
# team manages its audit group themselves, so sgform never adds or removes that one.
membership_set "bastion" {
  instance_id               = local.bastion
  security_group_ids        = ["sg-bp1bastion00001", local.privileged]
  ignore_security_group_ids = ["sg-bp1secaudit0001"]
}

# Authoritative for one group: exactly these members reach production through the privileged
# group. Any other member (one added by hand during an incident, say) leaves.
group_members "privileged" {
  security_group_id     = local.privileged
  instance_ids          = [local.bastion, "i-bp1dbadmin000001"]
  network_interface_ids = ["eni-bp1dbadmin00001"]
}
