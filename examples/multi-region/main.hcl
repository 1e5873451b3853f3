# One rule in two regions: every web server joins its region's monitoring group. Each region
# has a provider alias; data sources and declarations pick theirs with `provider`.
#
# Both providers name the same sandbox world, which holds both regions (one configuration runs
# on one sandbox). Against the cloud, drop `sandbox`: each provider then talks to its region's
# endpoint, `ecs.cn-hangzhou.aliyuncs.com` and `ecs.cn-shanghai.aliyuncs.com`.

provider "alicloud" {
  alias   = "hangzhou"
  region  = "cn-hangzhou"
  sandbox = "world.json"
}

provider "alicloud" {
  alias   = "shanghai"
  region  = "cn-shanghai"
  sandbox = "world.json"
}

data "instances" "web_hangzhou" {
  tags     = { role = "web" }
  provider = alicloud.hangzhou
}

data "instances" "web_shanghai" {
  tags     = { role = "web" }
  provider = alicloud.shanghai
}

membership "monitoring_hangzhou" {
  for_each          = toset(data.instances.web_hangzhou.ids)
  security_group_id = "sg-bp1monitoring01"
  instance_id       = each.value
  provider          = alicloud.hangzhou
}

membership "monitoring_shanghai" {
  for_each          = toset(data.instances.web_shanghai.ids)
  security_group_id = "sg-uf6monitoring01"
  instance_id       = each.value
  provider          = alicloud.shanghai
}
