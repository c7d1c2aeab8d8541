"""The Applications deploy/gitops/argocd/applicationset.yaml generates: one per directory of
deploy/kustomize/overlays, as Argo CD's git directory generator and Go-template rendering would
make them (`goTemplate`, `missingkey=error`, `templatePatch`).

Argo CD's own ApplicationSet code cannot be built here (its gitops-engine module fails on Go
1.26, ADR 0700), so this renders the small subset of Go templates the ApplicationSet uses:
`{{.path.path}}`, `{{.path.basename}}`, and in the patch `{{- if eq|ne .path.basename "x" }}`
… `{{- end }}`. Anything else is refused, so the file cannot outgrow this renderer unnoticed.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
APPLICATIONSET = REPO / "deploy" / "gitops" / "argocd" / "applicationset.yaml"

_VALUE = re.compile(r"\{\{\s*\.path\.(path|basename)\s*\}\}")
_IF = re.compile(r'^\s*\{\{-?\s*if\s+(eq|ne)\s+\.path\.basename\s+"([^"]*)"\s*-?\}\}\s*$')
_END = re.compile(r"^\s*\{\{-?\s*end\s*-?\}\}\s*$")


class TemplateError(ValueError):
    """The ApplicationSet uses a template construct this renderer does not know."""


def _substitute(text: str, params: dict[str, str]) -> str:
    rendered = _VALUE.sub(lambda m: params[m.group(1)], text)
    if "{{" in rendered:
        leftover = rendered[rendered.index("{{") :].split("\n", 1)[0]
        raise TemplateError(f"{APPLICATIONSET}: unsupported template construct: {leftover}")
    return rendered


def _render_patch(patch: str, params: dict[str, str]) -> str:
    kept: list[str] = []
    conditions: list[bool] = []
    for line in patch.splitlines():
        if match := _IF.match(line):
            operator, value = match.groups()
            conditions.append((params["basename"] == value) == (operator == "eq"))
        elif _END.match(line):
            if not conditions:
                raise TemplateError(f"{APPLICATIONSET}: templatePatch: `end` without `if`")
            conditions.pop()
        elif all(conditions):
            kept.append(line)
    if conditions:
        raise TemplateError(f"{APPLICATIONSET}: templatePatch: `if` without `end`")
    return _substitute("\n".join(kept), params)


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def overlay_directories(root: Path = REPO) -> list[Path]:
    """What the git directory generator's `deploy/kustomize/overlays/*` matches."""
    return sorted(p for p in (root / "deploy" / "kustomize" / "overlays").iterdir() if p.is_dir())


def applications(root: Path = REPO, applicationset: Path = APPLICATIONSET) -> list[dict[str, Any]]:
    appset = yaml.safe_load(applicationset.read_text())
    spec = appset["spec"]
    template_text = yaml.safe_dump(spec["template"], sort_keys=False)
    generated = []
    for directory in overlay_directories(root):
        params = {"path": str(directory.relative_to(root)), "basename": directory.name}
        application: dict[str, Any] = yaml.safe_load(_substitute(template_text, params))
        if "templatePatch" in spec:
            patch = yaml.safe_load(_render_patch(spec["templatePatch"], params)) or {}
            application = _merge(application, patch)
        application = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            **application,
        }
        application["metadata"]["namespace"] = appset["metadata"]["namespace"]
        generated.append(application)
    return generated


def main() -> int:
    """Print the generated Applications (what the ApplicationSet controller would create)."""
    print(yaml.safe_dump_all(applications(), sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
