provider "alicloud" {
  region = "cn-hangzhou"
}

# Two instances the state names were deleted; `a` is still there, so the key sees the account
# and region, and a by-ID read that does not return the others proves them gone.
# `membership.gone` is no longer declared: the state forgets it. `membership.web` still
# declares `gone1`: an error (not found), and its entry stays.
membership "a" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1gone1000000"
}
