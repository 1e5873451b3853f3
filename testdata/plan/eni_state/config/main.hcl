provider "alicloud" {
  region = "cn-hangzhou"
}

# The ENI is being deleted.
membership "eni" {
  security_group_id    = "sg-bp1web00000000"
  network_interface_id = "eni-bp1del00000000"
}
