provider "alicloud" {
  region = "cn-hangzhou"
}

# A 1 → 1 swap at the floor where joining first would carry 1,100 rules: no pairwise order is
# legal, so one replacement.
membership "big2" {
  security_group_id = "sg-bp1big20000000"
  instance_id       = "i-bp1a0000000000"
}
