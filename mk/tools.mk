# The field's tools, built offline from pinned Go modules (OPERATIONS.md, "toolchain rule").
# One mechanism for every operations area:
#   tools/<group>/go.mod (+ go.sum)  a module whose `tool` directives name the commands to build;
#                                    its require/replace lines pin their versions (one place).
#   tools/<group>/ldflags            optional: -ldflags for that group (version stamping).
# `make tools` builds every group into .cache/tools/bin; a group is rebuilt only when its go.mod,
# go.sum or ldflags change (a stamp per group), so a second `make tools` does nothing.
# Tools that ship in a registry package (PyPI wheels, Debian) are installed by the area's own
# target and recorded in docs/tools.md beside these.

TOOLS_DIR    := .cache/tools
TOOLS_BIN    := $(abspath $(TOOLS_DIR)/bin)
TOOL_GROUPS  := $(patsubst tools/%/go.mod,%,$(wildcard tools/*/go.mod))
TOOL_STAMPS  := $(foreach g,$(TOOL_GROUPS),$(TOOLS_DIR)/stamps/$(g))

.PHONY: tools

tools: $(TOOL_STAMPS) ## Build the pinned operations tools (tools/*/go.mod) into .cache/tools/bin

# -trimpath and CGO off: reproducible, static binaries; the module cache is Go's own.
.SECONDEXPANSION:
$(TOOLS_DIR)/stamps/%: tools/%/go.mod tools/%/go.sum $$(wildcard tools/%/ldflags)
	@mkdir -p $(TOOLS_BIN) $(@D)
	@echo "tools: building $* (tools/$*/go.mod)"
	@start=$$(date +%s); \
	cd tools/$* && CGO_ENABLED=0 GOBIN=$(TOOLS_BIN) GOFLAGS=-mod=readonly \
	  go install -trimpath -ldflags "$$(cat ldflags 2>/dev/null)" tool && \
	echo "tools: $* built in $$(( $$(date +%s) - start )) s"
	@touch $@
