provider "alicloud" {
  region = "cn-hangzhou"
}

provider "alicloud" {
  alias  = "shanghai"
  region = "cn-shanghai"
}

# A Shanghai instance joins a Shanghai group through the aliased provider.
membership "sh" {
  security_group_id = "sg-uf6web00000000"
  instance_id       = "i-uf6c0000000000"
  provider          = alicloud.shanghai
}
