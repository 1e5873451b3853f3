provider "alicloud" {
  region = "cn-hangzhou"
}

# `a` is already in `web` but sgform does not manage it yet: adopted, no API call.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}
