membership "web" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"

  lifecycle {
    prevent_destroy = true
  }
}
