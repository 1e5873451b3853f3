provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "n" {
  type    = number
  default = "three"
}
