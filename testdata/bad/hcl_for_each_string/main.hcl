provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
membership "a" {
  for_each          = "web,db"
  security_group_id = "sg-bp1webexample01"
  instance_id       = "i-bp1app0example01"
}
