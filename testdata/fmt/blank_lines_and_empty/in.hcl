

membership_set   "api"   {
instance_id="i-1"


security_group_ids=["sg-a","sg-b"]
ignore_security_group_ids   =   []
}
group_members "b" {
}
