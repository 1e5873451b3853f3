provider "alicloud" {
  region = "cn-hangzhou"
}

# `membership.old` was renamed `membership.new`: the pair stays, the state moves, no call.
membership "new" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}
