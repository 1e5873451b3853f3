provider "alicloud" {
  alias  = "shanghai"
  region = "cn-shanghai"
}

membership "web" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
  provider          = alicloud.shanghia
}

membership "web2" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5g"
  provider          = "shanghai"
}
