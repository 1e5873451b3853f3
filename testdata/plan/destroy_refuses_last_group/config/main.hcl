provider "alicloud" {
  region = "cn-hangzhou"
}

# Destroying would take `i-bp1c0000000000` out of its only group, which LeaveSecurityGroup refuses
# (`InstanceLastSecurityGroup`): the plan stops there, naming the target and the address.
membership "web" {
  for_each          = toset(["i-bp1a0000000000", "i-bp1c0000000000"])
  security_group_id = "sg-bp1web00000000"
  instance_id       = each.value
}
