provider "alicloud" {
  region = "cn-hangzhou"
}

variable "secret_group" {
  type      = string
  default   = "sg-bp1secret00000"
  sensitive = true
}

# The group comes from a sensitive variable: every output shows `(sensitive value)`.
membership "secret" {
  security_group_id = var.secret_group
  instance_id       = "i-bp1a0000000000"
}

membership "plain" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}
