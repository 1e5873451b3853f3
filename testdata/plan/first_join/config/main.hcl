provider "alicloud" {
  region = "cn-hangzhou"
}

# The web server joins the web group; its base group stays.
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}
