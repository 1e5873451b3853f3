provider "alicloud" {
  region = "cn-hangzhou"
}

# Every web server the data source finds joins the ops group; web-2 is already in it.
data "instances" "web" {
  vpc_id = "vpc-bp1gold0000001"
  tags   = { role = "web" }
}

membership "ops" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = "sg-bp1ops00000000"
  instance_id       = each.value
}
