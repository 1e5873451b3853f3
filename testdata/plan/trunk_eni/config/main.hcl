provider "alicloud" {
  region = "cn-hangzhou"
}

# A trunk ENI's groups cannot change through Join/Leave.
membership "trunk" {
  security_group_id    = "sg-bp1web00000000"
  network_interface_id = "eni-bp1trunk000000"
}
