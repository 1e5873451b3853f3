provider "alicloud" {
  region = "cn-hangzhou"
}

# The target is in five groups (the cap): the leave of `g5` must run before the join of `g6`.
membership "g06" {
  security_group_id = "sg-bp1g0600000000"
  instance_id       = "i-bp1a0000000000"
}
