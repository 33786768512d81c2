"""Names of PostgreSQL objects as SQL needs them: always quoted, so no name can break a statement.

A leaf of this package: every other module here may import it; it imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass


def quote_ident(name: str) -> str:
    """Quote an identifier the way PostgreSQL's ``quote_ident`` does when in doubt: always."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, order=True)
class TableRef:
    """A table by schema and name; ``qualified`` is safe to splice into SQL."""

    schema: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"
