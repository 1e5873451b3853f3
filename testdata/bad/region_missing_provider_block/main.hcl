provider "alicloud" {
  endpoint = "http://127.0.0.1:9"
}

membership "a" {
  security_group_id = "sg-bp1webexample01"
  instance_id       = "i-bp1app0example01"
}
