provider "alicloud" {
  region = "cn-hangzhou"
}

# The instance is locked for security reasons.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}
