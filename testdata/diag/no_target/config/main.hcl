membership "web" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
}
