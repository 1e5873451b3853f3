provider "alicloud" {
  region = "cn-hangzhou"
}

# Normal → enterprise: no pairwise order is legal (the types cannot mix), so one replacement.
membership_set "a" {
  instance_id        = "i-bp1a0000000000"
  security_group_ids = ["sg-bp1ent10000000"]
}
