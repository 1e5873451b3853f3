provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
group_members "a" {
  instance_ids = ["i-bp1app0example01"]
}
