provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = 5 / 0
}
