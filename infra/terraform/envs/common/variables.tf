variable "environment" {
  description = "dev, stage or prod."
  type        = string

  validation {
    condition     = contains(["dev", "stage", "prod"], var.environment)
    error_message = "environment must be one of dev, stage, prod."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "vpc_cidr" {
  description = "The environment's private /16 (distinct per environment so they can be peered)."
  type        = string
}

variable "zone_name" {
  description = "Public hosted zone of the environment's names."
  type        = string
}

variable "cluster" {
  description = "Cluster sizing and API exposure."
  type = object({
    node_instance_types    = list(string)
    node_min_size          = number
    node_max_size          = number
    endpoint_public_access = bool
    public_access_cidrs    = optional(list(string), [])
  })
}

variable "database" {
  description = "Database sizing and protections."
  type = object({
    instance_class        = string
    allocated_storage_gb  = number
    multi_az              = bool
    backup_retention_days = number
    max_connections       = number
    read_replica          = bool
  })
}

variable "redis" {
  description = "Cache sizing."
  type = object({
    node_type = string
    replicas  = number
  })
}

variable "image_digest" {
  description = "The Conveyor image to run (promotion changes it)."
  type        = string
}
