provider "alicloud" {
  region = "cn-hangzhou"
}

# The group is in another VPC than the instance and the ENI, and a classic-network
# instance cannot join a VPC group.
membership "instance" {
  security_group_id = "sg-bp1vpc20000000"
  instance_id       = "i-bp1a0000000000"
}

membership "eni" {
  security_group_id    = "sg-bp1vpc20000000"
  network_interface_id = "eni-bp1sec10000000"
}

membership "classic" {
  security_group_id = "sg-bp1vpc20000000"
  instance_id       = "i-bp1cl000000000"
}
