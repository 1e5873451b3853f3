provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
# 99999999999999999999999999 % 7 is 1, but hcl-edit reads the literal as a float (6): refused.
membership "a" {
  security_group_id = "x${99999999999999999999999999 % 7}"
  instance_id       = "i-bp1app0example01"
}
