provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = uppercase("x")
}
