provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = ["sg-bp1webexample01"][3]
}
