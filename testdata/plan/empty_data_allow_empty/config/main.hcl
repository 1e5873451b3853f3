provider "alicloud" {
  region = "cn-hangzhou"
}

# The data source matches nothing and the block says it may be empty: every member leaves,
# with a warning for the data source.
data "instances" "web" {
  tags = { role = "wbe" }
}

locals {
  web_ids = data.instances.web.ids
}

group_members "web" {
  security_group_id     = "sg-bp1web00000000"
  instance_ids          = local.web_ids
  network_interface_ids = []
  allow_empty           = true
}
