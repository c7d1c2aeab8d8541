# No secrets here.
region            = "eu-west-1"
state_bucket_name = "conveyor-tfstate-123456789012"
github_repository = "conveyor/conveyor"

cost_allocation = {
  team        = "conveyor-maintainers"
  cost_center = "CC-1001"
}
