provider "alicloud" {
  region = "cn-hangzhou"
}

# `full` is at capacity 2: `a` and `b` leave, `c` and `d` join; each join waits for its own leave.
membership "c" {
  security_group_id = "sg-bp1full0000000"
  instance_id       = "i-bp1c0000000000"
}

membership "d" {
  security_group_id = "sg-bp1full0000000"
  instance_id       = "i-bp1d0000000000"
}
