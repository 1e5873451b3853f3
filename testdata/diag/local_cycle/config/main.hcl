locals {
  a  = local.b
  b  = concat(local.c, [])
  c  = [local.a]
  ok = "fine"
  me = local.me
}
