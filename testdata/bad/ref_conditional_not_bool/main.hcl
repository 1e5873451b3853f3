provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = "yes" ? "sg-bp1webexample01" : "sg-bp1opsexample01"
}
