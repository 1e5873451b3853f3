data "instance" "web" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
}

data "instances" "web" {
  vpc_id = "vpc-123"
  tags   = { role = 1 }
}

locals {
  ids = data.instances.web.ids
}

data "network_interfaces" "db" {
  ids = local.ids
}
