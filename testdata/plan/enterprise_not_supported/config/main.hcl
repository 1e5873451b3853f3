provider "alicloud" {
  region = "cn-hangzhou"
}

# `ecs.t1.small` (first generation) cannot use enterprise groups.
membership_set "a" {
  instance_id        = "i-bp1a0000000000"
  security_group_ids = ["sg-bp1ent10000000"]
}
