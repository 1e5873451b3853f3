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

variable "secret_instance" {
  type      = string
  default   = "i-bp1c0000000000"
  sensitive = true
}

# The target comes from a sensitive variable: it is masked too.
membership "secret_target" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = var.secret_instance
}

membership "plain" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}
