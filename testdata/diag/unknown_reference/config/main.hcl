variable "web_ids" {
  type    = list(string)
  default = []
}

locals {
  web_sgs = ["sg-bp1fg655nh68xyz9i4w1"]
}

data "instances" "web" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
}

membership "a" {
  security_group_id = local.web_sg
  instance_id       = var.web_id[0]
}

membership "b" {
  for_each          = toset(data.instances.webb.ids)
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}

membership "c" {
  for_each          = toset(data.instances.web.idz)
  security_group_id = web_sgs[0]
  instance_id       = each.valeu
  depends_on        = [membership.d]
  provider          = alicloud.shanghai
}
