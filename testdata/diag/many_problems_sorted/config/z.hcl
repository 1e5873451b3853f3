membership "late" {
  security_group_id = local.missing
}
