variable "name" {
  description = "Name prefix (e.g. conveyor-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one client IP may send in 5 minutes before the WAF blocks it (AWS's window)."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit_per_5_minutes >= 100 && var.rate_limit_per_5_minutes <= 2000000000
    error_message = "rate_limit_per_5_minutes must be between 100 and 2000000000 (AWS WAF's bounds)."
  }
}

variable "load_balancer_arn" {
  description = "ARN of the ingress load balancer to protect; null until the ingress controller has created it."
  type        = string
  default     = null
}

variable "assets_domain" {
  description = "Hostname the CDN serves the console's static assets on (null: the CloudFront domain only)."
  type        = string
  default     = null
}

variable "assets_certificate_arn" {
  description = "ACM certificate in us-east-1 for assets_domain (CloudFront's requirement)."
  type        = string
  default     = null

  validation {
    condition     = var.assets_certificate_arn == null || can(regex("^arn:aws:acm:us-east-1:", var.assets_certificate_arn))
    error_message = "assets_certificate_arn must be an ACM certificate in us-east-1 (CloudFront only uses those)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
