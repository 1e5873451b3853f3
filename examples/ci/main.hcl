# The configuration the sample workflow in `ci/workflow.yml` plans and applies: every shop web
# server sits behind the WAF group.
#
# `sandbox` lets the workflow (and the test that checks it) run with no account. For your
# account, remove it and give the workflow credentials (see README.md).

provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}

data "instances" "shop_web" {
  vpc_id = "vpc-bp1shop00000001"
  tags   = { app = "shop", role = "web" }
}

membership "shop_waf" {
  for_each          = toset(data.instances.shop_web.ids)
  security_group_id = "sg-bp1shopwaf00001"
  instance_id       = each.value
}
