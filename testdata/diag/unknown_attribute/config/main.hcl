provider "alicloud" {
  regoin = "cn-hangzhou"
}

membership "web" {
  security_grop_id  = "sg-bp1fg655nh68xyz9i4w1"
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
  colour            = "blue"
}
