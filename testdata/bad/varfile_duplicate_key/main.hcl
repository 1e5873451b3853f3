provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "group" {
  type = string
}
