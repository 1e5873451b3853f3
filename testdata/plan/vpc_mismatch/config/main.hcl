provider "alicloud" {
  region = "cn-hangzhou"
}

# The group is in another VPC than the instance and the ENI.
membership "instance" {
  security_group_id = "sg-bp1vpc20000000"
  instance_id       = "i-bp1a0000000000"
}

membership "eni" {
  security_group_id    = "sg-bp1vpc20000000"
  network_interface_id = "eni-bp1sec10000000"
}
