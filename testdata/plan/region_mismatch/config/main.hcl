provider "alicloud" {
  region = "cn-hangzhou"
}

provider "alicloud" {
  alias  = "shanghai"
  region = "cn-shanghai"
}

# `a` is in Hangzhou; the Shanghai group is not visible through the default provider, and the
# Hangzhou instance is not visible through the Shanghai one.
membership "sh_group" {
  security_group_id = "sg-uf6web00000000"
  instance_id       = "i-bp1a0000000000"
}

membership "hz_instance" {
  security_group_id = "sg-uf6web00000000"
  instance_id       = "i-bp1b0000000000"
  provider          = alicloud.shanghai
}
