group = var.other
