provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "d" {
  type = number
}
locals {
  a = 5 % var.d
}
