"""MkDocs hooks for the docs site (mkdocs.yml ``hooks:``): Mermaid fences, and links out of docs/.

docs/ links to files outside it (``../README.md``, ``../deploy/helm/conveyor/README.md``) so that
they work on GitHub. The site cannot serve those files, so such links become links to the
repository (``repo_url``/blob/main/…) — after checking that the file exists, so that a broken
link still fails ``mkdocs build --strict`` instead of pointing at nothing.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.conveyor")
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?(\))")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def _outside_links(markdown: str, page_dir: Path, docs_dir: Path, repo: Path, base_url: str) -> str:
    def replace(match: re.Match[str]) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("mailto:", "/")):
            return match.group(0)
        resolved = (page_dir / target).resolve()
        if resolved == docs_dir or docs_dir in resolved.parents:
            return match.group(0)  # inside docs/: MkDocs validates it
        if repo not in resolved.parents and resolved != repo:
            log.warning("link %s leaves the repository", target)
            return match.group(0)
        if not resolved.exists():
            log.warning("link %s: %s does not exist in the repository", target, resolved.relative_to(repo))
            return match.group(0)
        kind = "tree" if resolved.is_dir() else "blob"
        url = f"{base_url}/{kind}/main/{resolved.relative_to(repo).as_posix()}"
        return f"{match.group(1)}{url}{match.group(3) or ''}{match.group(4)}"

    # Code blocks are left alone: `](` in them is not a link.
    parts, last = [], 0
    for fence in FENCE.finditer(markdown):
        parts.append(LINK.sub(replace, markdown[last : fence.start()]))
        parts.append(fence.group(0))
        last = fence.end()
    parts.append(LINK.sub(replace, markdown[last:]))
    return "".join(parts)


def on_config(config: Any) -> Any:
    """Render ```mermaid fences as diagrams (Material loads Mermaid for ``class="mermaid"``)."""
    from pymdownx.superfences import fence_code_format

    fences = config["mdx_configs"].setdefault("pymdownx.superfences", {}).setdefault("custom_fences", [])
    fences.append({"name": "mermaid", "class": "mermaid", "format": fence_code_format})
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs_dir = Path(config["docs_dir"]).resolve()
    repo = Path(config["config_file_path"]).resolve().parent
    page_dir = (docs_dir / page.file.src_path).parent
    return _outside_links(markdown, page_dir, docs_dir, repo, str(config["repo_url"]).rstrip("/"))
