membership_set "api" {
  instance_id        = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_ids = ["sg-bp1fg655nh68xyz9i4w1"]
}

group_members "web" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_ids      = []
}
