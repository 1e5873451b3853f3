provider "alicloud" {
  region = "cn-hangzhou"
}

# Secondary ENIs change their own groups: one joins pairwise, one is replaced as a set.
membership "sec1" {
  security_group_id    = "sg-bp1web00000000"
  network_interface_id = "eni-bp1sec10000000"
}

membership_set "sec2" {
  network_interface_id = "eni-bp1sec20000000"
  security_group_ids   = ["sg-bp1app00000000"]
}
