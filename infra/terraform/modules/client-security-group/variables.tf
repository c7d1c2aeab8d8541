variable "name" {
  description = "The security group's name (e.g. conveyor-prod-postgres)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,62}$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "description" {
  description = "What the group guards, as the AWS console shows it (e.g. \"PostgreSQL from the cluster's nodes only\")."
  type        = string
}

variable "service" {
  description = "The service's name in each ingress rule's description (\"PostgreSQL from nodes\")."
  type        = string
}

variable "vpc_id" {
  description = "The VPC the group lives in."
  type        = string
}

variable "port" {
  description = "The one TCP port clients may reach."
  type        = number

  validation {
    condition     = var.port >= 1 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be a TCP port number (1-65535)."
  }
}

variable "client_security_groups" {
  description = "Security groups allowed to connect, by a name known at plan time (e.g. { nodes = module.cluster.node_security_group_id })."
  type        = map(string)
}

variable "tags" {
  description = "The calling module's tags, its conveyor:component included: this group is part of that component."
  type        = map(string)

  validation {
    condition     = contains(keys(var.tags), "conveyor:component")
    error_message = "tags must carry the calling module's conveyor:component (its local.tags)."
  }
}
