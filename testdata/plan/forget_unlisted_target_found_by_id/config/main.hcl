provider "alicloud" {
  region = "cn-hangzhou"
}

# The data source lists running web servers: web-1 only (web-2 is stopped, app-1 is no web
# server). The state's other targets are missing from that listing, so each is read by ID:
# app-1 is found, still in ops, and kept as declared; web-2 is found, still in ops, and its
# pair (no longer listed, so no longer declared) leaves. Nothing is forgotten.
data "instances" "web" {
  status = "Running"
  tags   = { role = "web" }
}

membership "ops" {
  for_each          = toset(data.instances.web.ids)
  security_group_id = "sg-bp1ops00000000"
  instance_id       = each.value
}

membership "app" {
  security_group_id = "sg-bp1ops00000000"
  instance_id       = "i-bp1app10000000"
}
