backend "pg" {
  conn_str    = "postgres://sgform@db.internal/sgform"
  schema_name = "Team-States"
  workspace   = var.workspace
  workspce    = "prod"
}

backend "postgres" {
}

variable "workspace" {
  default = "prod"
}

membership "web" {
  security_group_id = "sg-bp1aaaaaaaaaaaaaaaa"
  instance_id       = "i-bp1aaaaaaaaaaaaaaaa"
}
