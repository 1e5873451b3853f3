provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
membership "a" {
  security_group_id = local.nope
  instance_id       = "i-bp1app0example01"
}
