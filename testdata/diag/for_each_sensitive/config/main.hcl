variable "secret_instance_ids" {
  type      = set(string)
  sensitive = true
}

locals {
  web_ids = toset(var.secret_instance_ids)
}

membership "web" {
  for_each          = var.secret_instance_ids
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}

membership "web_via_local" {
  for_each          = local.web_ids
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}
