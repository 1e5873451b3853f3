provider "alicloud" {
  region = "cn-hangzhou"
}

# `--refresh-only`: no API calls; the drifted pair is forgotten by the state, the new
# declaration is not joined.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "app" {
  security_group_id = "sg-bp1app00000000"
  instance_id       = "i-bp1a0000000000"
}
