pin = "hunter2"
