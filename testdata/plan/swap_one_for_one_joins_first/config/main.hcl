provider "alicloud" {
  region = "cn-hangzhou"
}

# `membership.old` is gone from the configuration and `membership.new` replaces it: a 1 → 1
# swap at the floor of one group, so the join runs before the leave.
membership "new" {
  security_group_id = "sg-bp1new00000000"
  instance_id       = "i-bp1a0000000000"
}
