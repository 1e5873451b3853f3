provider "alicloud" {
  region = "cn-hangzhou"
}

# Authoritative: five groups for five others at the cap of five, one atomic replacement.
membership_set "a" {
  instance_id        = "i-bp1a0000000000"
  security_group_ids = ["sg-bp1g0600000000", "sg-bp1g0700000000", "sg-bp1g0800000000", "sg-bp1g0900000000", "sg-bp1g1000000000"]
}
