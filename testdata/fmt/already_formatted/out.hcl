# Already canonical: fmt must not touch it.
provider "alicloud" {
  region                = "cn-hangzhou"
  max_groups_per_target = 5
}

membership "web" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = local.web_sg # the web tier
  instance_id       = each.value
}
