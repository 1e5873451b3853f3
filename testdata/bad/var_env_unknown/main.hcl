provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}

