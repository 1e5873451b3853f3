provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
terraform {
  required_version = ">= 1.0"
}
