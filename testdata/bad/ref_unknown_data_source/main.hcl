provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
membership "a" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = "sg-bp1webexample01"
  instance_id       = each.value
}
