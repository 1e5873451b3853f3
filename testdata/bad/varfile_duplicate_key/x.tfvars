group = "sg-bp1webexample01"
group = "sg-bp1opsexample01"
