# tflint over every module and environment (tests/terraform). The bundled Terraform ruleset
# with every rule on; the AWS ruleset cannot be built here (docs/terraform.md).
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
