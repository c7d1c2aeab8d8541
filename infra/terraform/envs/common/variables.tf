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

variable "cost_allocation" {
  description = "Who pays: the conveyor:team and conveyor:cost-center tags of every AWS resource, the same values as the chart's conveyor.io/team and conveyor.io/cost-center labels."
  type = object({
    team        = string
    cost_center = string
  })

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.cost_allocation.team))
    error_message = "cost_allocation.team must be a lowercase DNS label (a-z, 0-9, '-'; at most 63), as the chart's conveyor.io/team label."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", var.cost_allocation.cost_center))
    error_message = "cost_allocation.cost_center must be non-empty, letters, digits, '-', '_' or '.' (at most 63), as the chart's conveyor.io/cost-center label."
  }
}
