# This file is maintained automatically by "tofu init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/hashicorp/google" {
  version     = "6.50.0"
  constraints = "6.50.0, ~> 6.50"
  hashes = [
    "h1:uP22jRmA4HcAsbGQzzr/YoZcCevi6ZRGj+5HXsFOjUg=",
  ]
}

provider "registry.opentofu.org/hashicorp/random" {
  version     = "3.7.2"
  constraints = "~> 3.7, 3.7.2"
  hashes = [
    "h1:5j8MaBRUilBKt3kth5w4xrb/2P2bGXXyfF7NLW0jnVY=",
  ]
}
