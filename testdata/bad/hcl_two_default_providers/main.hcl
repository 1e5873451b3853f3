provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
provider "alicloud" {
  region = "cn-shanghai"
}
