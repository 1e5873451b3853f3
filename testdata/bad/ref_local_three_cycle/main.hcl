provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = local.b
  b = local.c
  c = local.a
}
