provider "alicloud" {
  region = "cn-hangzhou"
}

# `cyc1` and `cyc2` hold one member each; `a` and `b` swap them. Joining first would form a
# cycle, but each target has a second group, so the planner leaves first and it works.
membership "a" {
  security_group_id = "sg-bp1cyc20000000"
  instance_id       = "i-bp1a0000000000"
}

membership "b" {
  security_group_id = "sg-bp1cyc10000000"
  instance_id       = "i-bp1b0000000000"
}
