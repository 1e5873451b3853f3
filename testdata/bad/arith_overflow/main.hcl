provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
locals {
  a = 9223372036854775807 * 9223372036854775807
}
