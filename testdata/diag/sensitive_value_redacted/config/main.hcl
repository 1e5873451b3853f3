variable "secret_group" {
  type      = string
  sensitive = true
}

variable "plain_group" {
  type = string
}

membership "a" {
  security_group_id = var.secret_group
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}

membership "b" {
  security_group_id = var.plain_group
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}
