provider "alicloud" {
  region = "cn-hangzhou"
}

# The primary ENI's groups are its instance's: the plan refuses and names the instance.
membership "primary" {
  security_group_id    = "sg-bp1web00000000"
  network_interface_id = "eni-bp1pa000000000"
}
