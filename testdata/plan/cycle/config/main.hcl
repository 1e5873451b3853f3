provider "alicloud" {
  region = "cn-hangzhou"
}

# `cyc1` and `cyc2` hold one member each (their capacity); `a` and `b` swap groups. Each
# target is at the floor of one group, so it must join before it leaves; each join waits for
# the other target's leave: a cycle.
membership "a" {
  security_group_id = "sg-bp1cyc20000000"
  instance_id       = "i-bp1a0000000000"
}

membership "b" {
  security_group_id = "sg-bp1cyc10000000"
  instance_id       = "i-bp1b0000000000"
}
