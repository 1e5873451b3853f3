provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "token" {
  type      = list(string)
  sensitive = true
}
