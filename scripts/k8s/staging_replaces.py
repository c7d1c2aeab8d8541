"""Print the `replace` block tools/kubernetes/go.mod needs for a Kubernetes version: every staging
module that k8s.io/kubernetes replaces with a ./staging path, pinned to the matching v0.x release
(ADR 0400).

    python scripts/k8s/staging_replaces.py v1.36.3
"""

from __future__ import annotations

import argparse
import re
import sys

from crds import module_dir

STAGING = re.compile(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/")


def replace_block(version: str) -> str:
    go_mod = (module_dir(f"k8s.io/kubernetes@{version}") / "go.mod").read_text()
    staging_version = "v0." + version.removeprefix("v1.")
    modules = sorted(m.group(1) for line in go_mod.splitlines() if (m := STAGING.match(line)))
    lines = [f"\t{module} => {module} {staging_version}" for module in modules]
    return "replace (\n" + "\n".join(lines) + "\n)"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("version", help="a k8s.io/kubernetes version, e.g. v1.36.3")
    print(replace_block(parser.parse_args().version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
