provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = { web = "sg-bp1webexample01" }["db"]
}
