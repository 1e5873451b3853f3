provider "alicloud" {
  region = "cn-hangzhou"
}

# A destroy plan: every pair in the state leaves, in a legal order; nothing joins (`late` would
# in an ordinary plan) and nothing is adopted (`web["i-bp1d0000000000"]` would be).
# `membership.old` is only in the state; `membership.gone_app` left `sg-bp1app00000000` outside
# sgform, so the state just forgets it. `web` depends on `ops`: destroying, web's leaves go first.
membership "web" {
  for_each          = toset(["i-bp1a0000000000", "i-bp1b0000000000", "i-bp1d0000000000"])
  security_group_id = "sg-bp1web00000000"
  instance_id       = each.value
  depends_on        = [group_members.ops]
}

group_members "ops" {
  security_group_id     = "sg-bp1ops00000000"
  instance_ids          = ["i-bp1b0000000000"]
  network_interface_ids = ["eni-bp1sec10000000"]
}

membership "late" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1c0000000000"
}
