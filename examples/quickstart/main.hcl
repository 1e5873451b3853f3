# The quickstart: security-group membership for the example world in `world.json`.
# `sgform validate examples/quickstart` checks it offline.

provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json" # an embedded local emulator seeded from this world
}

variable "ops_group" {
  type        = string
  default     = "sg-bp1opsexample01"
  description = "The group every production web server must also be in."
}

locals {
  web_group = "sg-bp1webexample01"
  app_group = "sg-bp1appexample01"
}

# Every running web server in the VPC, found by its tag at plan time.
data "instances" "web" {
  vpc_id = "vpc-bp1example0001"
  tags   = { role = "web" }
  status = "Running"
}

# Additive: each web server joins the ops group; its other groups are left alone.
membership "web_ops" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = var.ops_group
  instance_id       = each.value
}

# The database's replication ENI joins the db group.
membership "db_replication" {
  security_group_id    = "sg-bp1dbexample001"
  network_interface_id = "eni-bp1db00example1"
}

# The worker moves from the legacy group, which is being emptied, to the app group. The
# legacy group is its only group and a target needs at least one, so sgform joins first.
membership "worker_app" {
  security_group_id = local.app_group
  instance_id       = "i-bp1wrk0example01"
}

# Authoritative for one group: nothing stays in the legacy group.
group_members "legacy" {
  security_group_id = "sg-bp1legacyexample"
  instance_ids      = []
}

# Authoritative for one target: the app server is in exactly these groups.
membership_set "app" {
  instance_id        = "i-bp1app0example01"
  security_group_ids = [local.app_group, local.web_group]
}
