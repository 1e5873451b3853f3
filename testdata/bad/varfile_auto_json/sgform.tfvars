group = "sg-bp1webexample01"
