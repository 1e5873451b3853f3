provider "alicloud" {
  region = "cn-hangzhou"
}

# A classic instance at the floor swaps a 600-rule group for a 500-rule one: joining first
# would carry 1,100 rules, leaving first would leave it with none, and it cannot be replaced.
membership "clbig2" {
  security_group_id = "sg-bp1clbig200000"
  instance_id       = "i-bp1a0000000000"
}
