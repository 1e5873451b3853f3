provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
membership_set "a" {
  instance_id        = "i-bp1app0example01"
  security_group_ids = ["sg-bp1webexample01"
}
