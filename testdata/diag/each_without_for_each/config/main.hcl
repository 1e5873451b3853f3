membership "web" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}

membership "self" {
  for_each          = toset([each.key])
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}
