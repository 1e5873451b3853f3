provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
membership "a" {
  security_group_id = var.group
  instance_id       = "i-bp1app0example01"
}
