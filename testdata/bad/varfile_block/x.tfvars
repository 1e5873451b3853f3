group = "sg-bp1webexample01"
variable "x" {}
