provider "alicloud" {
  region = "cn-hangzhou"
}

# `--destroy` leaves what the state manages whatever the data sources match: the empty data
# source is a warning only.
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
