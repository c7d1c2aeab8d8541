# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "6.25.0"
  constraints = "6.25.0, ~> 6.25"
  hashes = [
    "h1:SV7yRK3mTBdJ7RG8RHvgKVyJJb5ywif+CvualI9cGSQ=",
  ]
}

provider "registry.terraform.io/hashicorp/random" {
  version     = "3.7.2"
  constraints = "3.7.2"
  hashes = [
    "h1:c2QKQwd1gPzKhnYEXxxVDC/dt2g9rPFv7PXS7/ByqeM=",
  ]
}
