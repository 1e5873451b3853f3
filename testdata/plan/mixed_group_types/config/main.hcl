provider "alicloud" {
  region = "cn-hangzhou"
}

# An additive declaration would add an enterprise group to a normal one.
membership "ent" {
  security_group_id = "sg-bp1ent10000000"
  instance_id       = "i-bp1a0000000000"
}
