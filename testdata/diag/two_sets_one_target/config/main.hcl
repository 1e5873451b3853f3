membership_set "api" {
  instance_id        = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_ids = ["sg-bp1fg655nh68xyz9i4w1"]
}

membership_set "api_too" {
  instance_id        = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_ids = ["sg-bp1fg655nh68xyz9i4w1", "sg-bp1fg655nh68xyz9i4w2"]
}
