locals {
  a = { role = "web", tier = "db" }
  b = {}
  c = { x = 1, }
  d = {x=1 /* kept as written */}
  e = { "k" = 1 }
  f = ["a", "b", "c"]
  g = concat(["a"], ["b"])
}
