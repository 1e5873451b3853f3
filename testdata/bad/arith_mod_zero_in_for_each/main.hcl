provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
membership "a" {
  for_each          = toset([for i in [1, 2] : "i-bp1app0example0${i % 0}"])
  security_group_id = "sg-bp1webexample01"
  instance_id       = each.value
}
