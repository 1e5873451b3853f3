provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
# 99999999999999999999999999 % 7 is 1; the malformed ID shows what sgform computes.
membership "a" {
  security_group_id = "x${99999999999999999999999999 % 7}"
  instance_id       = "i-bp1app0example01"
}
