"""Named SQL queries kept in ``.sql`` files (the procrastinate pattern).

Each file holds blocks that start with ``-- name: <query_name>``; the comment lines after
the name document the query. SQL in files reads and reviews as SQL, and tests can run any
query on its own. Each folder of SQL has one loader, a ``sql`` in the ``queries.py`` beside
it (this one is the store's, over ``store/sql/``); ``store.database`` runs what they return.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def parse(text: str) -> dict[str, str]:
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice")
        queries[name] = body.strip()
    return queries


class Queries:
    """The named queries of every ``.sql`` file in one directory; call it with a name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @cached_property
    def all(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for path in sorted(self.directory.glob("*.sql")):
            for name, text in parse(path.read_text()).items():
                if name in merged:
                    raise ValueError(f"query {name!r} is defined in more than one file ({path.name})")
                merged[name] = text
        return merged

    def __call__(self, name: str) -> str:
        try:
            return self.all[name]
        except KeyError:
            raise KeyError(f"no SQL query named {name!r} in {self.directory}") from None


sql = Queries(Path(__file__).parent / "sql")
