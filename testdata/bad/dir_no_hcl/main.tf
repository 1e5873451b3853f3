provider "alicloud" {}
