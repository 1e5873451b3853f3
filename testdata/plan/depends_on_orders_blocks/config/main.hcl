provider "alicloud" {
  region = "cn-hangzhou"
}

# `membership.app` waits for every operation of `membership.web`, on another target.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "app" {
  security_group_id = "sg-bp1app00000000"
  instance_id       = "i-bp1b0000000000"
  depends_on        = [membership.web]
}
