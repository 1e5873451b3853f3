provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
membership "a" {
  security_group_id = "sg-bp1webexample01"
  instance_id       = "i-bp1app0example01"
  depends_on        = [membership.b]
}
membership "b" {
  security_group_id = "sg-bp1opsexample01"
  instance_id       = "i-bp1app0example01"
  depends_on        = [membership.a]
}
