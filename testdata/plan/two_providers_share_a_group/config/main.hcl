provider "alicloud" {
  region = "cn-hangzhou"
}

provider "alicloud" {
  alias  = "two"
  region = "cn-hangzhou"
}

# Two providers of one account and region name the same group for different targets.
# Both join: the inventory records every provider that saw the group, not only the first.
membership "a" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "b" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
  provider          = alicloud.two
}
