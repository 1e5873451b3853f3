provider "alicloud" {
  region = "cn-hangzhou"
}

# `full` is at capacity; `a` leaves it by a set replacement, then `b` joins it.
membership_set "a" {
  instance_id        = "i-bp1a0000000000"
  security_group_ids = ["sg-bp1base0000000"]
}

membership "b" {
  security_group_id = "sg-bp1full0000000"
  instance_id       = "i-bp1b0000000000"
}
