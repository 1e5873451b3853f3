provider "alicloud" {
  region = "cn-hangzhou"
}

# Neither the instance nor the ENI exists.
membership "gone_instance" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1gone0000000"
}

membership "gone_eni" {
  security_group_id    = "sg-bp1web00000000"
  network_interface_id = "eni-bp1gone0000000"
}
