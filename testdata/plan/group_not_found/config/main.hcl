provider "alicloud" {
  region = "cn-hangzhou"
}

# The group does not exist.
membership "web" {
  security_group_id = "sg-bp1gone0000000"
  instance_id       = "i-bp1a0000000000"
}
