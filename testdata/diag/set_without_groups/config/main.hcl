membership_set "api" {
  instance_id        = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_ids = []
}
