data "instances" "web" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
}

membership "literal" {
  for_each          = ["i-bp1gtjxuuvwj17zr8s5f", "i-bp1gtjxuuvwj17zr8s5g"]
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}

membership "string" {
  for_each          = "i-bp1gtjxuuvwj17zr8s5f"
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = each.value
}
