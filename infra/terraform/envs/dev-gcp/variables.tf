variable "environment" {
  description = "dev, stage or prod."
  type        = string

  validation {
    condition     = contains(["dev", "stage", "prod"], var.environment)
    error_message = "environment must be one of dev, stage, prod."
  }
}

variable "project_id" {
  description = "The environment's Google Cloud project."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Google Cloud region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region name such as europe-west1."
  }
}

variable "network" {
  description = "The region's node, pod and Service ranges and the private services access range (all private, disjoint, distinct per environment)."
  type = object({
    subnet = object({
      cidr_block          = string
      pods_cidr_block     = string
      services_cidr_block = string
    })
    private_services_cidr_block = string
  })
}

variable "cluster" {
  description = "Cluster sizing and API exposure."
  type = object({
    node_machine_type      = string
    node_min_size          = number
    node_max_size          = number
    master_ipv4_cidr_block = string
    endpoint_public_access = bool
    public_access_cidrs    = optional(list(string), [])
  })
}

variable "database" {
  description = "Database sizing and protections."
  type = object({
    tier                  = string
    disk_size_gb          = number
    high_availability     = bool
    backup_retention_days = number
    max_connections       = number
    read_replica          = bool
  })
}

variable "cost_allocation" {
  description = "Who pays: the conveyor-team and conveyor-cost-center labels of every resource (the cost center lowercased, as GCP labels require), the same values as the chart's conveyor.io/team and conveyor.io/cost-center labels."
  type = object({
    team        = string
    cost_center = string
  })

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.cost_allocation.team))
    error_message = "cost_allocation.team must be a lowercase DNS label (a-z, 0-9, '-'; at most 63), as the chart's conveyor.io/team label."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9]([-A-Za-z0-9_]{0,61}[A-Za-z0-9])?$", var.cost_allocation.cost_center))
    error_message = "cost_allocation.cost_center must be non-empty, letters, digits, '-' or '_' (at most 63; GCP labels take no '.')."
  }
}
