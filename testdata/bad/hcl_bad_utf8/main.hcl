locals {
  a = "ÿþ"
}
