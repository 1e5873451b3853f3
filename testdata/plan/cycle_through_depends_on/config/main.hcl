provider "alicloud" {
  region = "cn-hangzhou"
}

# `full` holds only `a`. `a` swaps it for `new` (join first: `full` is its only group), but
# `membership.a` depends on `membership.b`, whose join into `full` waits for `a` to leave.
membership "a" {
  security_group_id = "sg-bp1new00000000"
  instance_id       = "i-bp1a0000000000"
  depends_on        = [membership.b]
}

membership "b" {
  security_group_id = "sg-bp1full0000000"
  instance_id       = "i-bp1b0000000000"
}
