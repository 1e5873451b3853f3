provider "alicloud" {
  region = "cn-hangzhou"
}

# Normal → enterprise needs one atomic replacement, which a classic instance cannot do.
membership_set "a" {
  instance_id        = "i-bp1a0000000000"
  security_group_ids = ["sg-bp1clent000000"]
}
