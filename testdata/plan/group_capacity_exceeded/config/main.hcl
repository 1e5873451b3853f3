provider "alicloud" {
  region = "cn-hangzhou"
}

# `full` (normal) and `entfull` (enterprise) are at capacity.
membership "normal" {
  security_group_id = "sg-bp1full0000000"
  instance_id       = "i-bp1b0000000000"
}

membership "enterprise" {
  security_group_id    = "sg-bp1entfull0000"
  network_interface_id = "eni-bp1sec10000000"
}
