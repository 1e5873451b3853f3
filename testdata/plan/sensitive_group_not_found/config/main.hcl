provider "alicloud" {
  region = "cn-hangzhou"
}

variable "secret_group" {
  type      = string
  default   = "sg-bp1secret00000"
  sensitive = true
}

# A rule violation about a sensitive group: the diagnostic masks it too.
membership "secret" {
  security_group_id = var.secret_group
  instance_id       = "i-bp1a0000000000"
}
