variable "name" {
  description = "Cluster name (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version."
  type        = string
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.(3[0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be a supported EKS minor version such as 1.33."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the control plane's interfaces and the nodes, one per zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must hold at least two private subnets in different zones."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly as well as privately. Must be false in prod."
  type        = bool
}

variable "public_access_cidrs" {
  description = "Ranges allowed to reach a public API endpoint (never 0.0.0.0/0)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.public_access_cidrs : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be CIDR ranges, and not 0.0.0.0/0."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node group (several, for Spot and capacity)."
  type        = list(string)

  validation {
    condition     = length(var.node_instance_types) > 0 && alltrue([for t in var.node_instance_types : can(regex("^[a-z][a-z0-9]*\\.[0-9]*(nano|micro|small|medium|large|xlarge)$", t))])
    error_message = "node_instance_types must be EC2 instance types such as m7g.large."
  }
}

variable "node_min_size" {
  description = "Fewest nodes the autoscaler keeps."
  type        = number

  validation {
    condition     = var.node_min_size >= 1
    error_message = "node_min_size must be at least 1."
  }
}

variable "node_max_size" {
  description = "Most nodes the autoscaler may start."
  type        = number

  validation {
    condition     = var.node_max_size >= var.node_min_size
    error_message = "node_max_size must be at least node_min_size."
  }
}

variable "node_disk_gb" {
  description = "Root volume of each node (encrypted gp3)."
  type        = number
  default     = 50
}

variable "log_retention_days" {
  description = "Days control-plane logs are kept."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
