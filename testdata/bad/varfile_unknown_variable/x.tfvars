group = "sg-bp1webexample01"
grop = "x"
