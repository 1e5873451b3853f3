provider "alicloud" {
  region = "cn-hangzhou"
}

# `membership.old` was deleted from the configuration: its pair leaves.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}
