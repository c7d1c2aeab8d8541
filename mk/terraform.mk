# Terraform: the AWS modules and environments of infra/terraform, checked offline by
# OpenTofu with the providers' schemas served from a local filesystem mirror. Included by the
# top-level Makefile; see docs/terraform.md.
#
# Tools from `make tools`: tofu (tools/opentofu), terraform-schema-provider, terraform-docs,
# tflint. The providers: their published schemas, read from the CDKTF binding packages pinned in
# infra/terraform/providers/package-lock.json (npm registry, integrity-checked) and served by
# terraform-schema-provider (ADR 0901: the real provider binaries cannot be built here).

TF_CACHE    := .cache/terraform
TF_MIRROR   := $(TF_CACHE)/mirror
TF_PACKAGES := $(TF_CACHE)/npm
TF_RC       := $(TF_CACHE)/tofurc
TF_SCRIPTS  := scripts/terraform
TF_ROOT     := infra/terraform

.PHONY: terraform-providers terraform-docs terraform-lock terraform-checks

$(TF_CACHE)/.mirror: infra/terraform/providers/package-lock.json $(TF_SCRIPTS)/provider_schema.py scripts/web_assets.py
	@mkdir -p $(TF_CACHE)
	$(PYTHON) scripts/web_assets.py --lockfile infra/terraform/providers/package-lock.json --dest $(TF_PACKAGES)
	$(PYTHON) $(TF_SCRIPTS)/provider_schema.py $(TF_PACKAGES) $(TF_MIRROR)
	printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$(abspath $(TF_MIRROR))" > $(TF_RC)
	@touch $@

terraform-providers: tools $(TF_CACHE)/.mirror ## The providers' filesystem mirror and the CLI config that uses it (.cache/terraform)

terraform-docs: tools ## Regenerate each module's README (terraform-docs)
	for module in $(TF_ROOT)/modules/*/; do \
	  $(TOOLS_BIN)/terraform-docs --config $(TF_ROOT)/.terraform-docs.yml $$module >/dev/null || exit 1; \
	done

# The lock files record the mirror packages' h1: hashes (`tofu init` writes them); run after a
# provider bump, then commit them. The tests init with -lockfile=readonly: a stale one fails.
terraform-lock: terraform-providers ## Rewrite the environments' .terraform.lock.hcl from the mirror
	for root in $(TF_ROOT)/envs/*/; do \
	  [ -f $$root/terraform.tfvars ] || continue; \
	  rm -f $$root/.terraform.lock.hcl; \
	  TF_DATA_DIR=$$(mktemp -d) TF_CLI_CONFIG_FILE=$(abspath $(TF_RC)) \
	    $(TOOLS_BIN)/tofu -chdir=$$root init -backend=false -input=false >/dev/null || exit 1; \
	done

# tests/terraform fail (never skip) when a tool or the mirror is missing.
terraform-checks: $(VENV)/.synced terraform-providers ## fmt, validate, tofu test, tflint, README staleness of every module and environment
	CONVEYOR_TERRAFORM_TESTS=1 $(BIN)/pytest tests/terraform --basetemp="$$(mktemp -d)/pytest"

test: terraform-checks

ops-checks: terraform-checks
