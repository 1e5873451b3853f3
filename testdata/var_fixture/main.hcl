provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "group" {
  type = string
}
variable "count" {
  type = number
  default = 1
}
variable "groups" {
  type    = list(string)
  default = []
}

