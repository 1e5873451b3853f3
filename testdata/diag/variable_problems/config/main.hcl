variable "a" {
  type      = list(strng)
  sensitive = "yes"
}

variable "b" {
  type    = map(string)
  default = ["not", "a", "map"]
}

variable "c" {
  default = var.a
}
