provider "alicloud" {
  region = "cn-hangzhou"
}

# `full` holds two members, its capacity: `b` joins only after `a` has left.
membership "b" {
  security_group_id = "sg-bp1full0000000"
  instance_id       = "i-bp1b0000000000"
}
