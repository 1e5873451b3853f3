locals {
  a = "y"
}
