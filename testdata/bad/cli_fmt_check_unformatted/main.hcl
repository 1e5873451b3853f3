locals {
a="x"
}
