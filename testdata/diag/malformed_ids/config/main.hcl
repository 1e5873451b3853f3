membership "masked" {
  security_group_id = "sg-bp67acfmxazb4p****"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}

membership "upper" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-BP1GTJXUUVWJ17ZR8S5F"
}

group_members "bastion" {
  security_group_id     = "sg-bp1fg655nh68xyz9i4w1"
  instance_ids          = ["i-bp1gtjxuuvwj17zr8s5f", "bp1gtjxuuvwj17zr8s5g"]
  network_interface_ids = ["eni-1"]
}

provider "alicloud" {
  region = "Hangzhou"
}
