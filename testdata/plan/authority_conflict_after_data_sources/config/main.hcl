provider "alicloud" {
  region = "cn-hangzhou"
}

# Two authoritative sets, one per data source: only their results show that `a` is in both.
data "instances" "web" {
  tags = { role = "web" }
}

data "instances" "prod" {
  tags = { env = "prod" }
}

membership_set "web" {
  for_each           = toset(data.instances.web.ids)
  instance_id        = each.value
  security_group_ids = ["sg-bp1web00000000"]
}

membership_set "prod" {
  for_each           = toset(data.instances.prod.ids)
  instance_id        = each.value
  security_group_ids = ["sg-bp1app00000000"]
}
