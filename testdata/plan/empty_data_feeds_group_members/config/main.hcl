provider "alicloud" {
  region = "cn-hangzhou"
}

# The tag filter has a typo (`wbe`): it matches nothing, and the authoritative block it feeds
# through a local would leave every member of the group.
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
}
