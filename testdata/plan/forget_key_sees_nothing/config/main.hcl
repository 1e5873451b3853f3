provider "alicloud" {
  region = "cn-hangzhou"
}

# The key's RAM policy does not allow `ecs:DescribeInstances`: the API answers every
# DescribeInstances with an empty list. Both managed instances exist; `membership.old` is no
# longer declared. Seeing none of the state's instances proves nothing: an error, and nothing
# is forgotten (issue 14: `apply` forgot every managed membership).
membership "web" {
  security_group_id = "sg-bp1web00000000"
  instance_id       = "i-bp1a0000000000"
}
