variable "name" {
  description = "Cluster name (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "project_id" {
  description = "The Google Cloud project of the cluster."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "The region of the (regional) cluster: its control plane is replicated over the region's zones."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region name such as europe-west1."
  }
}

variable "node_zones" {
  description = "Zones of the region the nodes run in (three in stage and prod: a zone outage keeps capacity)."
  type        = list(string)

  validation {
    condition     = length(var.node_zones) >= 1 && length(distinct(var.node_zones)) == length(var.node_zones)
    error_message = "node_zones must name at least one zone, each once."
  }
}

variable "network_id" {
  description = "The VPC network (modules/gcp-network's vpc_id)."
  type        = string
}

variable "subnetwork_id" {
  description = "The nodes' subnet in the cluster's region (modules/gcp-network's private_subnet_ids)."
  type        = string
}

variable "pods_range_name" {
  description = "The subnet's secondary range for pods."
  type        = string
}

variable "services_range_name" {
  description = "The subnet's secondary range for Services."
  type        = string
}

variable "master_ipv4_cidr_block" {
  description = "The control plane's private /28 (peered into the VPC): private and outside every subnet range."
  type        = string

  validation {
    condition = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28") && try(anytrue([
      for private in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] :
      cidrhost(private, 0) == cidrhost("${cidrhost(var.master_ipv4_cidr_block, 0)}/${split("/", private)[1]}", 0)
    ]), false)
    error_message = "master_ipv4_cidr_block must be a private (RFC 1918) /28."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API on a public address as well as the private one (limited to public_access_cidrs). Must be false in prod."
  type        = bool
}

variable "public_access_cidrs" {
  description = "Ranges allowed to reach the API (master authorized networks; never 0.0.0.0/0)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.public_access_cidrs : can(cidrhost(cidr, 0)) && !endswith(cidr, "/0")])
    error_message = "public_access_cidrs must be CIDR ranges, and not 0.0.0.0/0."
  }
}

variable "release_channel" {
  description = "GKE release channel: the control plane and nodes are upgraded along it."
  type        = string
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "node_machine_type" {
  description = "Machine type of the node pool (e2-standard-4, n2d-standard-4, t2a-standard-4 …)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,4}-(standard|highmem|highcpu)-[0-9]{1,3}$", var.node_machine_type))
    error_message = "node_machine_type must be a Compute Engine type such as e2-standard-4 or n2d-highmem-8."
  }
}

variable "node_min_size" {
  description = "Fewest nodes the autoscaler keeps, over all zones."
  type        = number

  validation {
    condition     = var.node_min_size >= 1
    error_message = "node_min_size must be at least 1."
  }
}

variable "node_max_size" {
  description = "Most nodes the autoscaler may start, over all zones."
  type        = number

  validation {
    condition     = var.node_max_size >= var.node_min_size
    error_message = "node_max_size must be at least node_min_size."
  }
}

variable "node_disk_gb" {
  description = "Boot disk of each node (pd-balanced, encrypted with the module's key)."
  type        = number
  default     = 50

  validation {
    condition     = var.node_disk_gb >= 20 && var.node_disk_gb <= 1000
    error_message = "node_disk_gb must be between 20 and 1000."
  }
}

variable "deletion_protection" {
  description = "Refuse `tofu destroy` of the cluster (the provider's own guard)."
  type        = bool
  default     = true
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
