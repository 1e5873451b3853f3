provider "alicloud" {
  region = "cn-hangzhou"
}

# The instance and the group belong to another account: invisible here, so not found.
membership "their_instance" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1other000000"
}

membership "their_group" {
  security_group_id = "sg-bp1other000000"
  instance_id       = "i-bp1a0000000000"
}

membership "their_group_eni" {
  security_group_id    = "sg-bp1other000000"
  network_interface_id = "eni-bp1sec10000000"
}
