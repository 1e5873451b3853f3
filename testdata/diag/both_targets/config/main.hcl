membership "web" {
  security_group_id    = "sg-bp1fg655nh68xyz9i4w1"
  instance_id          = "i-bp1gtjxuuvwj17zr8s5f"
  network_interface_id = "eni-bp13kd656hxambfe1234"
}
