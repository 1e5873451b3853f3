provider "alicloud" {
  region = "cn-hangzhou"
}

# `a` is Starting, `b` and the ENI are being created: warnings, apply waits; `c` is fine.
membership "a" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "b" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}

membership "c" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1c0000000000"
}

membership "new_eni" {
  security_group_id    = "sg-bp1web00000000"
  network_interface_id = "eni-bp1new00000000"
}
