variable "zone_name" {
  description = "The Route 53 public hosted zone the records live in (e.g. conveyor.example.com)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.zone_name))
    error_message = "zone_name must be a DNS name such as conveyor.example.com (lowercase, no trailing dot)."
  }
}

variable "hostnames" {
  description = "Names the certificate covers, each inside zone_name (api.…, console.…)."
  type        = list(string)

  validation {
    condition     = length(var.hostnames) > 0 && length(var.hostnames) == length(distinct(var.hostnames))
    error_message = "hostnames must list at least one name, without duplicates."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
