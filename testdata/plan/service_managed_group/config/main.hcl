provider "alicloud" {
  region = "cn-hangzhou"
}

# A group managed by a cloud service (e.g. ACK): no one may join it, or leave it.
membership "join" {
  security_group_id = "sg-bp1ack00000000"
  instance_id       = "i-bp1a0000000000"
}

membership_set "b" {
  instance_id        = "i-bp1b0000000000"
  security_group_ids = ["sg-bp1base0000000"]
}
