provider "alicloud" {
  region = "cn-hangzhou"
}

# Both instances the state names were deleted: `membership.web` still declares `gone1` (an
# error: not found), `membership.old` is gone from the configuration (the state forgets it).
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1gone1000000"
}
