backend "s3" {
  bucket = "states"
}

membership "web" {
  security_group_id = "sg-bp1aaaaaaaaaaaaaaaa"
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
