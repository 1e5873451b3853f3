membership "web" {
  security_group_id = "sg-bp1fg655nh68xyz9i4w2"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}

variable "region" {
  default = "cn-hangzhou"
}

locals {
  sg = "sg-bp1fg655nh68xyz9i4w2"
}
