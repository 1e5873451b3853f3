provider "alicloud" {
  region = "cn-hangzhou"
}

# A classic-network instance's groups cannot be replaced in one call: the set is reached
# pairwise, joining before leaving at the floor.
membership_set "a" {
  instance_id        = "i-bp1a0000000000"
  security_group_ids = ["sg-bp1cl200000000"]
}
