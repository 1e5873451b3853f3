# The first quickstart, frozen: cli_plan.rs and apply.rs assert its exact plans, so it stays
# as it is while `examples/quickstart` evolves. Same world, same lines as it had.

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
}

# Every running web server in the VPC, looked up at plan time.
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

# Authoritative for one target: the app server is in exactly these groups.
membership_set "app" {
  instance_id        = "i-bp1app0example01"
  security_group_ids = ["sg-bp1appexample01", local.web_group]
}

# Authoritative for one group: exactly these ENIs are in the db group.
group_members "db" {
  security_group_id     = "sg-bp1dbexample001"
  instance_ids          = ["i-bp1db00example01"]
  network_interface_ids = []
}
