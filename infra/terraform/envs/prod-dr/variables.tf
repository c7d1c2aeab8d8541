variable "region" {
  description = "The recovery region (not prod's)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "vpc_cidr" {
  description = "The recovery VPC's private /16 (distinct from prod's)."
  type        = string
}

variable "primary_database_arn" {
  description = "prod's database ARN (`tofu -chdir=../prod output -raw database_arn`)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:rds:[a-z0-9-]+:[0-9]{12}:db:", var.primary_database_arn))
    error_message = "primary_database_arn must be prod's RDS instance ARN (arn:aws:rds:<region>:<account>:db:<name>)."
  }
}

variable "cluster" {
  description = "Standby cluster sizing: small until a failover scales it up."
  type = object({
    node_instance_types = list(string)
    node_min_size       = number
    node_max_size       = number
  })
}

variable "database_instance_class" {
  description = "Instance class of the cross-region replica (prod's, so a promotion carries the load)."
  type        = string
}
