provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
variable "group" {
  type = string
  validation {
    condition     = startswith(var.group, "sg-bp1")
    error_message = "The group must be in cn-hangzhou (sg-bp1...)."
  }
}
