provider "alicloud" {
  region = "cn-hangzhou"
}

# The state manages `a` in `web`, but someone removed it: drift, joined again.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}
