provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = -9223372036854775807 - 1
  b = local.a / -1
}
