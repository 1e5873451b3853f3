membership "a" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5a"
  depends_on        = [membership_set.b]
}

membership_set "b" {
  instance_id        = "i-bp1gtjxuuvwj17zr8s5b"
  security_group_ids = ["sg-bp1fg655nh68xyz9i4w1"]
  depends_on         = [group_members.c]
}

group_members "c" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w3"
  instance_ids      = []
  depends_on        = [membership.a]
}
