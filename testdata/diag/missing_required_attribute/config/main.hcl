membership "web" {
  instance_id = "i-bp1gtjxuuvwj17zr8s5f"
}

membership_set "api" {
  instance_id = "i-bp1gtjxuuvwj17zr8s5f"
}

group_members "bastion" {
  instance_ids = ["i-bp1gtjxuuvwj17zr8s5f"]
}
