group = "sg-bp1webexample01"
count = "many"
