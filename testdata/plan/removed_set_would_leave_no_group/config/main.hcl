provider "alicloud" {
  region = "cn-hangzhou"
}

# `membership_set.a` was deleted: every pair it managed leaves, which would leave `a` with
# no group at all, so the plan refuses. (Only `b` is still declared.)
membership "b" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}
