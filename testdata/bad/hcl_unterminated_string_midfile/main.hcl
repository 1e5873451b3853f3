provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = "sg-bp1webexample01"
  b = "sg-bp1dbexample01
  c = "sg-bp1appexample01"
}
