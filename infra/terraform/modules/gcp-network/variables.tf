variable "name" {
  description = "Name prefix of every resource (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "project_id" {
  description = "The Google Cloud project that holds the network."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "subnets" {
  description = "One subnet per region, by region name: the nodes' primary range and the secondary ranges GKE gives pods and Services. Every range private (RFC 1918) and none overlapping."
  type = map(object({
    cidr_block          = string
    pods_cidr_block     = string
    services_cidr_block = string
  }))

  validation {
    condition     = length(var.subnets) >= 1 && alltrue([for region in keys(var.subnets) : can(regex("^[a-z]+-[a-z]+[0-9]+$", region))])
    error_message = "subnets must be keyed by region names such as europe-west1, at least one."
  }

  validation {
    condition = alltrue(flatten([
      for subnet in values(var.subnets) : [
        for range in [subnet.cidr_block, subnet.pods_cidr_block, subnet.services_cidr_block] :
        try(anytrue([
          for private in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] :
          tonumber(split("/", range)[1]) >= tonumber(split("/", private)[1]) &&
          cidrhost(private, 0) == cidrhost("${cidrhost(range, 0)}/${split("/", private)[1]}", 0)
        ]), false)
      ]
    ]))
    error_message = "subnets: every range must be an IPv4 CIDR inside a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)."
  }

  validation {
    condition = alltrue([
      for subnet in values(var.subnets) :
      try(tonumber(split("/", subnet.cidr_block)[1]) <= 24 && tonumber(split("/", subnet.pods_cidr_block)[1]) <= 21 && tonumber(split("/", subnet.services_cidr_block)[1]) <= 24, false)
    ])
    error_message = "subnets: the nodes' range must be /24 or larger, the pods' /21 or larger (GKE gives each node a /24) and the Services' /24 or larger."
  }

  # Two ranges overlap when their network addresses agree on the shorter of the two prefixes.
  validation {
    condition = alltrue([
      for pair in setproduct(
        flatten([for s in values(var.subnets) : [s.cidr_block, s.pods_cidr_block, s.services_cidr_block]]),
        flatten([for s in values(var.subnets) : [s.cidr_block, s.pods_cidr_block, s.services_cidr_block]]),
      ) :
      pair[0] == pair[1] || try(
        cidrhost("${cidrhost(pair[0], 0)}/${min(tonumber(split("/", pair[0])[1]), tonumber(split("/", pair[1])[1]))}", 0) !=
        cidrhost("${cidrhost(pair[1], 0)}/${min(tonumber(split("/", pair[0])[1]), tonumber(split("/", pair[1])[1]))}", 0),
        true # a malformed range is reported by the validations above
      )
    ]) && length(distinct(flatten([for s in values(var.subnets) : [s.cidr_block, s.pods_cidr_block, s.services_cidr_block]]))) == 3 * length(var.subnets)
    error_message = "subnets: the ranges overlap; the nodes', pods' and Services' ranges of every region must be disjoint."
  }
}

variable "private_services_cidr_block" {
  description = "The range reserved for private services access (Cloud SQL's private addresses are allocated from it): private, /16 to /24, outside every subnet range."
  type        = string

  validation {
    condition = try(anytrue([
      for private in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] :
      tonumber(split("/", var.private_services_cidr_block)[1]) >= tonumber(split("/", private)[1]) &&
      cidrhost(private, 0) == cidrhost("${cidrhost(var.private_services_cidr_block, 0)}/${split("/", private)[1]}", 0)
    ]), false)
    error_message = "private_services_cidr_block must be an IPv4 CIDR inside a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)."
  }

  validation {
    condition     = try(tonumber(split("/", var.private_services_cidr_block)[1]) >= 16 && tonumber(split("/", var.private_services_cidr_block)[1]) <= 24, false)
    error_message = "private_services_cidr_block must be between /16 and /24 (Cloud SQL needs at least a /24)."
  }

  validation {
    condition = alltrue([
      for range in flatten([for s in values(var.subnets) : [s.cidr_block, s.pods_cidr_block, s.services_cidr_block]]) :
      try(
        cidrhost("${cidrhost(range, 0)}/${min(tonumber(split("/", range)[1]), tonumber(split("/", var.private_services_cidr_block)[1]))}", 0) !=
        cidrhost("${cidrhost(var.private_services_cidr_block, 0)}/${min(tonumber(split("/", range)[1]), tonumber(split("/", var.private_services_cidr_block)[1]))}", 0),
        true # a malformed range is reported by the validations above
      )
    ])
    error_message = "private_services_cidr_block overlaps a subnet range."
  }
}

variable "flow_log_sampling" {
  description = "Share of packets VPC flow logs sample (1.0 = all)."
  type        = number
  default     = 0.5

  validation {
    condition     = var.flow_log_sampling > 0 && var.flow_log_sampling <= 1
    error_message = "flow_log_sampling must be above 0 and at most 1."
  }
}

variable "flow_log_interval" {
  description = "How long flow logs aggregate before a record is written."
  type        = string
  default     = "INTERVAL_5_SEC"

  validation {
    condition     = contains(["INTERVAL_5_SEC", "INTERVAL_30_SEC", "INTERVAL_1_MIN", "INTERVAL_5_MIN", "INTERVAL_10_MIN", "INTERVAL_15_MIN"], var.flow_log_interval)
    error_message = "flow_log_interval must be one of INTERVAL_5_SEC, INTERVAL_30_SEC, INTERVAL_1_MIN, INTERVAL_5_MIN, INTERVAL_10_MIN, INTERVAL_15_MIN."
  }
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
