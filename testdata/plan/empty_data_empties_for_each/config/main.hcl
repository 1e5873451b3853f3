provider "alicloud" {
  region = "cn-hangzhou"
}

# The tag filter has a typo (`wbe`): the `for_each` it feeds yields nothing, and the plan would
# leave the instances the state manages.
data "instances" "web" {
  tags = { role = "wbe" }
}

membership "web" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = "sg-bp1web00000000"
  instance_id       = each.value
}

membership "b" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}
