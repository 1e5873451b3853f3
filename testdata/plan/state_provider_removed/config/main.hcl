provider "alicloud" {
  region = "cn-hangzhou"
}

# The state manages `a` in `web` through `alicloud.old`, a provider no longer configured.
# KNOWN BUG: the refresh does not read `a` (it warns), yet the plan reports the pair as
# gone from the cloud and forgets it; `a` is still in `web`. The entry should be left alone.
membership "b" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}
