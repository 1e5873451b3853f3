provider "alicloud" {
  region = "cn-hangzhou"
}

# Authoritative for the group: `b` joins; `c` and the ENI, not listed, leave.
group_members "web" {
  security_group_id     = "sg-bp1web00000000"
  instance_ids          = ["i-bp1a0000000000", "i-bp1b0000000000"]
  network_interface_ids = []
}
