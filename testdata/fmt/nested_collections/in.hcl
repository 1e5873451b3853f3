locals {
groups = [
"sg-a",
        "sg-b", # second
        [
  "nested",
        ],
]
tags = {
role="web"
        "quoted key"="x"

          tier = {
  inner = true
            }
}
}
