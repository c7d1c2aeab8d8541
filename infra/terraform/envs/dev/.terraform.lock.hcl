# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "6.25.0"
  constraints = "6.25.0, ~> 6.25"
  hashes = [
    "h1:SV7yRK3mTBdJ7RG8RHvgKVyJJb5ywif+CvualI9cGSQ=",
  ]
}

provider "registry.terraform.io/hashicorp/helm" {
  version     = "2.17.0"
  constraints = "2.17.0, ~> 2.17"
  hashes = [
    "h1:8YE1G9jNpvegnEAnOiuzULytXmbBFikGxai2FHBqgo0=",
  ]
}

provider "registry.terraform.io/hashicorp/kubernetes" {
  version     = "2.38.0"
  constraints = "2.38.0, ~> 2.38"
  hashes = [
    "h1:4R+kTE3WLp4QmrIxwPC1CEKjf+kzJ/fa+h5SmpVCSF8=",
  ]
}

provider "registry.terraform.io/hashicorp/random" {
  version     = "3.7.2"
  constraints = "~> 3.7, 3.7.2"
  hashes = [
    "h1:c2QKQwd1gPzKhnYEXxxVDC/dt2g9rPFv7PXS7/ByqeM=",
  ]
}
