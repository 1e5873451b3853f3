# Moving the checkout fleet from its normal security groups to enterprise ones.
#
# A target's groups must all be normal or all enterprise, so no order of joins and leaves gets
# there: every step would mix the two types (`InvalidOperation.MultiGroupType`). A
# `membership_set` declares the whole new set, and sgform replaces it in one call per target.

provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}

locals {
  zero_trust_groups = ["sg-bp1zerotrustweb1", "sg-bp1zerotrustops1"]
}

# The whole fleet, whatever its status, found by tag.
data "instances" "checkout" {
  vpc_id = "vpc-bp1checkout0001"
  tags   = { app = "checkout" }
}

membership_set "checkout" {
  for_each           = toset(data.instances.checkout.ids)
  instance_id        = each.value
  security_group_ids = local.zero_trust_groups
}

# A secondary ENI moves with its instance (ModifyNetworkInterfaceAttribute).
membership_set "checkout_eni" {
  network_interface_id = "eni-bp1checkout0001"
  security_group_ids   = local.zero_trust_groups
}
