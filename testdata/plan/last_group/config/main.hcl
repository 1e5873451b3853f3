provider "alicloud" {
  region = "cn-hangzhou"
}

# Authoritative for `web` with no members: `a`, only in `web`, would be left with no group.
group_members "web" {
  security_group_id = "sg-bp1web00000000"
  instance_ids      = []
}
