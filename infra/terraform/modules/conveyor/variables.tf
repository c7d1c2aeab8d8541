variable "environment" {
  description = "dev, stage, prod or prod-dr: the namespace is conveyor-<environment> and the chart's values-<dev|prod>.yaml apply."
  type        = string

  validation {
    condition     = contains(["dev", "stage", "prod", "prod-dr"], var.environment)
    error_message = "environment must be one of dev, stage, prod, prod-dr."
  }
}

variable "chart_path" {
  description = "Path of Conveyor's Helm chart (deploy/helm/conveyor of this repository)."
  type        = string
}

variable "image_repository" {
  description = "The image repository (ghcr.io/<owner>/conveyor)."
  type        = string
  default     = "ghcr.io/conveyor/conveyor"
}

variable "image_digest" {
  description = "The image digest to deploy (sha256:…); prod deploys by digest only."
  type        = string

  validation {
    condition     = can(regex("^sha256:[0-9a-f]{64}$", var.image_digest))
    error_message = "image_digest must be sha256: followed by 64 hex digits."
  }
}

variable "database_secret_arn" {
  description = "Secrets Manager secret with the database's credentials (the postgres module's master_secret_arn)."
  type        = string
}

variable "database_address" {
  description = "Hostname of the database."
  type        = string
}

variable "redis_secret_arn" {
  description = "Secrets Manager secret with the Redis AUTH token."
  type        = string
}

variable "redis_address" {
  description = "Hostname of the Redis primary."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The cluster's IRSA OIDC provider ARN."
  type        = string
}

variable "oidc_issuer" {
  description = "The cluster's OIDC issuer without scheme."
  type        = string
}

variable "tags" {
  description = "Tags added to the AWS resources."
  type        = map(string)
  default     = {}
}
