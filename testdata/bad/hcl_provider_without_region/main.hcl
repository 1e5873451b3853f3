provider "alicloud" {
  sandbox = "world.json"
}
