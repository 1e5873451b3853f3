provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "pin" {
  type      = number
  sensitive = true
}
