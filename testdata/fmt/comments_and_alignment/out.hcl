# header comment
provider "alicloud" { # trailing on brace
  region                = "cn-hangzhou" # region
  max_groups_per_target = 6
  # a comment line

  rate_limit = 50
}


locals {
  web_sg             = "sg-1"
  a_much_longer_name = [
    "x", # first
    "y",
  ]
  obj = {
    a   = 1
    bbb = "two"
    # note
    c = { d = 1 }
  }
  call = concat(
    ["a"],
    ["b"],
  )
  heredoc = <<EOT
   keep   this
EOT
  oneline = { role = "web" }
}
membership "x" {}
membership "y" { security_group_id = "sg" }
/* block
   comment */
data "instances" "web" {
  tags = {
    role = "web"
  }
  /* inline */ vpc_id = "v"
  # before close
}
# trailing comment
