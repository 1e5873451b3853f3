membership "a" {
  security_group_id = "sg-bp1opsexample01"
  instance_id       = "i-bp1app0example01"
}
