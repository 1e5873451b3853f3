provider "alicloud" {
  region                = "cn-hangzhou"
  max_groups_per_target = 2
}

membership_set "api" {
  instance_id = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_ids = [
    "sg-bp1fg655nh68xyz9i4w1",
    "sg-bp1fg655nh68xyz9i4w2",
    "sg-bp1fg655nh68xyz9i4w3",
  ]
}
