provider "alicloud" {
  region = "cn-hangzhou"
}

# Four groups not managed here count towards the cap of five: two more make six.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "app" {
  security_group_id = "sg-bp1app00000000"
  instance_id       = "i-bp1a0000000000"
}
