variable "name" {
  description = "Identifier prefix of the database resources (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "name must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
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

variable "vpc_id" {
  description = "The VPC the database lives in."
  type        = string
}

variable "subnet_ids" {
  description = "Database subnets (no internet route), one per zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must hold at least two subnets in different zones (RDS requires it)."
  }
}

variable "client_security_groups" {
  description = "Security groups allowed to connect on 5432, by a name known at plan time (e.g. { nodes = module.cluster.node_security_group_id })."
  type        = map(string)
}

variable "instance_class" {
  description = "RDS instance class, Graviton or Intel/AMD general purpose or memory optimised (db.t4g.medium, db.m7g.large, db.r7g.xlarge …)."
  type        = string

  validation {
    condition     = can(regex("^db\\.(t4g|t3|m6g|m6i|m7g|m7i|r6g|r6i|r7g|r7i)\\.(micro|small|medium|large|[0-9]*xlarge)$", var.instance_class))
    error_message = "instance_class must be an RDS class such as db.t4g.medium, db.m7g.large or db.r7g.xlarge."
  }
}

variable "allocated_storage_gb" {
  description = "Initial gp3 storage in GiB; storage autoscaling may grow it to four times this."
  type        = number
  default     = 50

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 16384
    error_message = "allocated_storage_gb must be between 20 and 16384."
  }
}

variable "multi_az" {
  description = "A synchronous standby in another zone. Required in prod."
  type        = bool

  validation {
    condition     = var.multi_az || var.environment != "prod"
    error_message = "multi_az must be true in prod: a zone outage must not take the job queue down."
  }
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (prod: at least 14)."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35 (RDS's range; 0 would turn backups off)."
  }

  validation {
    condition     = var.backup_retention_days >= 14 || !contains(["prod", "prod-dr"], var.environment)
    error_message = "backup_retention_days must be at least 14 in prod."
  }
}

variable "max_connections" {
  description = "max_connections of the parameter group: API and worker pools (poolSize per pod × pods) plus headroom."
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

variable "replicate_source_db" {
  description = "ARN of a primary in another region: this instance becomes its cross-region replica (prod-dr). Null for a primary."
  type        = string
  default     = null

  validation {
    condition     = var.replicate_source_db == null || can(regex("^arn:aws:rds:[a-z0-9-]+:[0-9]{12}:db:", var.replicate_source_db))
    error_message = "replicate_source_db must be an RDS instance ARN (arn:aws:rds:<region>:<account>:db:<name>)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
