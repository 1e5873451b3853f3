provider "alicloud" {
  region = "cn-hangzhou"
}

# 600 + 500 rules exceed the 1,000 rules one target may carry.
membership "big2" {
  security_group_id = "sg-bp1big20000000"
  instance_id       = "i-bp1a0000000000"
}
