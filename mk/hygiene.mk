# Repository hygiene: .editorconfig checked by editorconfig-checker, .github/CODEOWNERS by the
# codeowners matcher (GitHub's rules). The tools come from `make tools` (tools/hygiene).

.PHONY: hygiene

hygiene: $(VENV)/.synced tools ## Whitespace per .editorconfig; CODEOWNERS owns every file, no stale rule
	CONVEYOR_HYGIENE_TESTS=1 $(BIN)/pytest tests/hygiene --basetemp="$$(mktemp -d)/pytest"

test: hygiene
ops-checks: hygiene
