provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
resource "alicloud_security_group" "x" {
  name = "x"
}
