membership "web" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w9"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}

membership "ignored_is_fine" {
  security_group_id = "sg-bp1managedbyanotherteam"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}

membership_set "api" {
  instance_id               = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_ids        = ["sg-bp1fg655nh68xyz9i4w1"]
  ignore_security_group_ids = ["sg-bp1managedbyanotherteam"]
}
