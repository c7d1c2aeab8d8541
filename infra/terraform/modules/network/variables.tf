variable "name" {
  description = "Name prefix of every resource (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "The VPC's IPv4 range: a private (RFC 1918) /16 to /20, split into nine subnets."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be an IPv4 CIDR between /16 and /20."
  }

  validation {
    condition = anytrue([
      for private in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] :
      can(cidrhost(var.cidr_block, 0)) && cidrhost(private, 0) == cidrhost("${cidrhost(var.cidr_block, 0)}/${split("/", private)[1]}", 0)
    ])
    error_message = "cidr_block must lie inside a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zones of the region, one subnet of each tier in each."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3 && length(distinct(var.availability_zones)) == 3
    error_message = "availability_zones must name three distinct zones."
  }
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway per zone (prod: a zone outage keeps egress) or a single shared one (dev: cheaper)."
  type        = bool
}

variable "flow_log_retention_days" {
  description = "Days VPC flow logs are kept in CloudWatch Logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints (private DNS) instead of the NAT gateways."
  type        = set(string)
  default     = ["ecr.api", "ecr.dkr", "sts", "logs", "secretsmanager", "kms", "elasticloadbalancing"]
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
