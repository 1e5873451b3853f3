membership {
  security_group_id = "sg-bp1fg655nh68xyz9i4w1"
  instance_id       = "i-bp1gtjxuuvwj17zr8s5f"
}

data "instances" {
  vpc_id = "vpc-bp1opxu1zkhn00gzv26cm"
}

provider "aws" {
  region = "us-east-1"
}
