provider "alicloud" {
  region = "cn-hangzhou"
}

# The state manages `a` in `web` through `alicloud.old`, a provider no longer configured.
# The refresh cannot read `a` (its provider is gone; it warns), so the plan leaves its state
# entry alone instead of calling the pair gone from the cloud.
membership "b" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1b0000000000"
}
