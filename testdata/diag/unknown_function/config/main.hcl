locals {
  ids = tostring(["i-bp1gtjxuuvwj17zr8s5f"])
  sgs = uniq(["sg-bp1fg655nh68xyz9i4w1"])
}
