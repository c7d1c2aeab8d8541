variable "name" {
  description = "Replication group id prefix (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "The VPC the cache lives in."
  type        = string
}

variable "subnet_ids" {
  description = "Private or database subnets, one per zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must hold at least two subnets in different zones."
  }
}

variable "client_security_groups" {
  description = "Security groups allowed to connect on 6379, by a name known at plan time (e.g. { nodes = module.cluster.node_security_group_id })."
  type        = map(string)
}

variable "node_type" {
  description = "ElastiCache node type (cache.t4g.micro, cache.m7g.large, cache.r7g.large …)."
  type        = string

  validation {
    condition     = can(regex("^cache\\.(t4g|t3|m6g|m7g|r6g|r7g)\\.(micro|small|medium|large|[0-9]*xlarge)$", var.node_type))
    error_message = "node_type must be an ElastiCache type such as cache.t4g.micro or cache.r7g.large."
  }
}

variable "replicas" {
  description = "Read replicas beside the primary; at least one gives automatic failover and Multi-AZ."
  type        = number

  validation {
    condition     = var.replicas >= 0 && var.replicas <= 5
    error_message = "replicas must be between 0 and 5."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots kept."
  type        = number
  default     = 1

  validation {
    condition     = var.snapshot_retention_days >= 0 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be between 0 and 35."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
