provider "alicloud" {
  region = "cn-hangzhou"
}

# `a` is locked for security reasons; `c` is not, so only its change is planned.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "other" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1c0000000000"
}
