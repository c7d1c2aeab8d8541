variable "name" {
  description = "Instance name prefix of the database resources (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "name must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "project_id" {
  description = "The Google Cloud project of the database."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the instance (and of its key and secret replica)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region name such as europe-west1."
  }
}

variable "environment" {
  description = "dev, stage, prod or prod-dr: decides the protections that cannot be turned off in prod."
  type        = string

  validation {
    condition     = contains(["dev", "stage", "prod", "prod-dr"], var.environment)
    error_message = "environment must be one of dev, stage, prod, prod-dr."
  }
}

variable "network_id" {
  description = "The VPC network whose private services access range the instance takes its address from (modules/gcp-network's vpc_id)."
  type        = string
}

variable "allocated_ip_range" {
  description = "Name of the private services access range (modules/gcp-network's private_services_range_name)."
  type        = string
}

variable "tier" {
  description = "Cloud SQL machine tier: db-custom-<vCPUs>-<MiB> (Enterprise) or db-perf-optimized-N-<vCPUs> (Enterprise Plus); shared-core db-f1-micro/db-g1-small only outside prod."
  type        = string

  validation {
    condition     = can(regex("^db-(custom-[0-9]{1,2}-[0-9]{4,6}|perf-optimized-N-[0-9]{1,3}|f1-micro|g1-small)$", var.tier))
    error_message = "tier must be a Cloud SQL tier such as db-custom-2-7680, db-perf-optimized-N-4 or db-g1-small."
  }

  validation {
    condition     = !contains(["prod", "prod-dr"], var.environment) || !contains(["db-f1-micro", "db-g1-small"], var.tier)
    error_message = "tier must not be shared-core (db-f1-micro, db-g1-small) in prod: it has no SLA."
  }
}

variable "disk_size_gb" {
  description = "Initial SSD size in GB; automatic growth may take it to four times this."
  type        = number
  default     = 50

  validation {
    condition     = var.disk_size_gb >= 10 && var.disk_size_gb <= 16384
    error_message = "disk_size_gb must be between 10 and 16384."
  }
}

variable "high_availability" {
  description = "REGIONAL availability: a synchronous standby in another zone with automatic failover. Required in prod."
  type        = bool

  validation {
    condition     = var.high_availability || var.environment != "prod"
    error_message = "high_availability must be true in prod: a zone outage must not take the job queue down."
  }
}

variable "backup_retention_days" {
  description = "Daily automated backups kept (one a day, so days). Point-in-time recovery covers the last min(days, 7) days (Enterprise) or up to 35 (Enterprise Plus). prod: at least 14."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 365 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number between 1 and 365 (Cloud SQL's range; 0 would turn backups off)."
  }

  validation {
    condition     = var.backup_retention_days >= 14 || !contains(["prod", "prod-dr"], var.environment)
    error_message = "backup_retention_days must be at least 14 in prod."
  }
}

variable "max_connections" {
  description = "The max_connections flag: API and worker pools (poolSize per pod × pods) plus headroom."
  type        = number
  default     = 400

  validation {
    condition     = var.max_connections >= 50 && var.max_connections <= 5000
    error_message = "max_connections must be between 50 and 5000."
  }
}

variable "read_replica" {
  description = "Create a read replica in the same region (reporting and failover rehearsal)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels added to every resource that takes them (GCP label rules: lowercase keys and values, letters, digits, '-' and '_')."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key, value in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", key)) && can(regex("^[a-z0-9_-]{0,63}$", value))])
    error_message = "labels: keys must start with a lowercase letter and, like values, hold at most 63 lowercase letters, digits, '-' or '_'."
  }
}
