provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
data "vpcs" "all" {
  region = "cn-hangzhou"
}
