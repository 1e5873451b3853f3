provider "alicloud" {
  region = "cn-hangzhou"
}

# Both instances the state names were deleted: none seen proves nothing (an error, nothing
# forgotten; see forget_target_gone_by_id); `membership.web` still declares `gone1` (an error).
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1gone1000000"
}
