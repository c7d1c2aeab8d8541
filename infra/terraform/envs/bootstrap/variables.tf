variable "region" {
  description = "Region of the state bucket."
  type        = string
}

variable "state_bucket_name" {
  description = "Globally unique name of the state bucket."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows plan and apply."
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
