provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "a" {
  default = "x"
}
variable "a" {
  default = "y"
}
