# This file is maintained automatically by "tofu init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/hashicorp/aws" {
  version     = "6.25.0"
  constraints = "6.25.0, ~> 6.25"
  hashes = [
    "h1:Ngc2DADmSXaNb/UJBUA8bvG6cV9XDBprFMm0mByXBqE=",
  ]
}
