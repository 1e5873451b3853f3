# Every block and attribute sgform knows, all valid.
provider "alicloud" {
  region                = "cn-hangzhou"
  profile               = "default"
  max_groups_per_target = 6
  rate_limit            = 50
}

provider "alicloud" {
  alias    = "shanghai"
  region   = "cn-shanghai"
  endpoint = "http://127.0.0.1:8080"
  sandbox  = "world.json"
}

variable "web_ids" {
  type        = list(string)
  default     = ["i-bp1gtjxuuvwj17zr8s5f"]
  description = "instances that serve the web tier"
  sensitive   = false
}

variable "extra_groups" {
  type    = set(string)
  default = ["sg-bp1fg655nh68xyz9i4w2", "sg-bp1fg655nh68xyz9i4w3"]
}

locals {
  web_sg  = "sg-bp1fg655nh68xyz9i4w1"
  db_sg   = "sg-bp1fg655nh68xyz9i4w9"
  by_name = { for id in var.web_ids : upper(id) => id }
  pairs   = setproduct(var.extra_groups, var.web_ids)
}

data "instances" "web" {
  vpc_id            = "vpc-bp1opxu1zkhn00gzv26cm"
  tags              = { role = "web" }
  status            = "Running"
  name_regex        = "^web-"
  security_group_id = local.web_sg
  ids               = var.web_ids
}

data "network_interfaces" "db" {
  vpc_id      = "vpc-bp1opxu1zkhn00gzv26cm"
  tags        = { tier = "db" }
  instance_id = "i-bp1gtjxuuvwj17zr8s5f"
  provider    = alicloud.shanghai
}

membership "web" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = local.web_sg
  instance_id       = each.value
  depends_on        = [membership.static]
}

membership "static" {
  for_each          = var.extra_groups
  security_group_id = each.key
  instance_id       = "i-bp1gtjxuuvwj17zr8s5b"
}

membership "pairs" {
  for_each          = { for p in local.pairs : "${p[0]}/${p[1]}" => p }
  security_group_id = each.value[0]
  instance_id       = each.value[1]
  provider          = alicloud.shanghai
}

membership "db" {
  for_each             = toset(data.network_interfaces.db.ids)
  security_group_id    = local.db_sg
  network_interface_id = each.value
  provider             = alicloud.shanghai
}

membership_set "api" {
  instance_id               = "i-bp1gtjxuuvwj17zr8s5a"
  security_group_ids        = concat([local.web_sg], tolist(var.extra_groups))
  ignore_security_group_ids = ["sg-bp1managedbyanotherteam"]
}

group_members "bastion" {
  security_group_id     = "sg-bp1bastion0000000000"
  instance_ids          = ["i-bp1bastion0000000000"]
  network_interface_ids = []
}
