provider "alicloud" {
  region = "cn-hangzhou"
}

# A data source that matches nothing feeds a `for_each` the state has no instance of: a warning
# only; the other block is planned as usual.
data "instances" "spare" {
  vpc_id = "vpc-bp1gold0000002"
  tags   = { role = "spare" }
}

membership "spare" {
  for_each          = toset(data.instances.spare.ids)
  security_group_id = "sg-bp1web00000000"
  instance_id       = each.value
}

membership "b" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}
