provider "alicloud" {
  region = "cn-hangzhou"
}

# Additive: five new memberships; the five old ones are gone from the configuration. At the
# cap of five every join waits for a leave, pairwise, one call at a time.
membership "g06" {
  security_group_id = "sg-bp1g0600000000"
  instance_id       = "i-bp1a0000000000"
}

membership "g07" {
  security_group_id = "sg-bp1g0700000000"
  instance_id       = "i-bp1a0000000000"
}

membership "g08" {
  security_group_id = "sg-bp1g0800000000"
  instance_id       = "i-bp1a0000000000"
}

membership "g09" {
  security_group_id = "sg-bp1g0900000000"
  instance_id       = "i-bp1a0000000000"
}

membership "g10" {
  security_group_id = "sg-bp1g1000000000"
  instance_id       = "i-bp1a0000000000"
}
