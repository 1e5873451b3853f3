locals {
  web_sg = "sg-bp1fg655nh68xyz9i4w1"
}

membership "web" {
  security_group_id = local.web_sg
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}

membership "web_again" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}
