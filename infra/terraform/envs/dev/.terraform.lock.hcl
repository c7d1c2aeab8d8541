# This file is maintained automatically by "tofu init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/hashicorp/aws" {
  version     = "6.25.0"
  constraints = "6.25.0, ~> 6.25"
  hashes = [
    "h1:Ngc2DADmSXaNb/UJBUA8bvG6cV9XDBprFMm0mByXBqE=",
  ]
}

provider "registry.opentofu.org/hashicorp/helm" {
  version     = "2.17.0"
  constraints = "2.17.0, ~> 2.17"
  hashes = [
    "h1:VYLyxB7SOD6X1CqrXs2fE6/e/nbSA1sBRWr4QLodgu4=",
  ]
}

provider "registry.opentofu.org/hashicorp/kubernetes" {
  version     = "2.38.0"
  constraints = "2.38.0, ~> 2.38"
  hashes = [
    "h1:btC6rN84daRAfvP98acrDjJNRXDrqTe+tnsTkaDrNZ4=",
  ]
}

provider "registry.opentofu.org/hashicorp/random" {
  version     = "3.7.2"
  constraints = "~> 3.7, 3.7.2"
  hashes = [
    "h1:5j8MaBRUilBKt3kth5w4xrb/2P2bGXXyfF7NLW0jnVY=",
  ]
}
