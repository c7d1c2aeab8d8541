# A security group that admits named client security groups on one TCP port and nothing else:
# what the postgres and redis modules put in front of their service. A building block called by
# those modules, not by environments: it keeps the caller's tags, conveyor:component included.

locals {
  tags = var.tags
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:attached by the calling module (the database or cache), which checkov cannot follow across the module call
  name        = var.name
  description = var.description
  vpc_id      = var.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each                     = var.client_security_groups
  security_group_id            = aws_security_group.this.id
  description                  = "${var.service} from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  tags                         = local.tags
}
