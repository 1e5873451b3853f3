provider "alicloud" {
  region = "cn-hangzhou"
}

# `--target membership.web`: only that address is planned; `membership.app` waits.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "app" {
  security_group_id = "sg-bp1app00000000"
  instance_id       = "i-bp1a0000000000"
}
