provider "alicloud" {
  region  = "cn-hangzhou"
  sandbox = "world.json"
}
# -(-9223372036854775808) does not fit in a 64-bit integer; the malformed ID shows the result.
membership "a" {
  security_group_id = "x${-(-9223372036854775807 - 1)}"
  instance_id       = "i-bp1app0example01"
}
