group_members "bastion" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_ids      = ["i-bp1gtjxuuvwj17zr8s5f"]
}

group_members "bastion_too" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_ids      = ["i-bp1gtjxuuvwj17zr8s5f"]
}
