pin = "hunter2" {
