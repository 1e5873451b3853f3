provider "alicloud" {
  region = "cn-hangzhou"
}

# An ENI managed by a cloud service cannot change groups.
membership "eni" {
  security_group_id    = "sg-bp1web00000000"
  network_interface_id = "eni-bp1svc00000000"
}
