provider "alicloud" {
  region = "cn-hangzhou"
}

# The set is authoritative except for the ignored team group, which stays.
membership_set "a" {
  instance_id               = "i-bp1a0000000000"
  security_group_ids        = ["sg-bp1base0000000", "sg-bp1new00000000"]
  ignore_security_group_ids = ["sg-bp1team0000000"]
}
