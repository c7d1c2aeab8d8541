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
