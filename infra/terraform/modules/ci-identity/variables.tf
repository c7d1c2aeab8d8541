variable "name" {
  description = "Role name prefix (e.g. conveyor)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "apply_environments" {
  description = "GitHub deployment environments (with required reviewers) whose jobs may assume the apply role."
  type        = list(string)

  validation {
    condition     = length(var.apply_environments) > 0 && alltrue([for e in var.apply_environments : can(regex("^[a-z][a-z0-9-]*$", e))])
    error_message = "apply_environments must list at least one environment name (lowercase)."
  }
}

variable "state_bucket_arn" {
  description = "ARN of the Terraform state bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:s3:::[a-z0-9.-]+$", var.state_bucket_arn))
    error_message = "state_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::name)."
  }
}

variable "state_kms_key_arn" {
  description = "ARN of the KMS key that encrypts state."
  type        = string
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when another stack owns it)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
