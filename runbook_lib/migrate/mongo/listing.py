"""What a Mongo move walks: the databases and collections of a source, named as units.

Why one place: the check, the copy, the verify and the steps around a DMS load must agree on which
collections move (``system.*`` never, a listed subset when the parameters name one) and on how a
unit is named in reports and checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from runbook_lib.errors import ParamsError


@dataclass(frozen=True)
class DatabaseSpec:
    """One source database, its name on the target, and optionally which collections (default: all)."""

    name: str
    target_name: str | None = None
    collections: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        return self.target_name or self.name


def list_collections(client: Any, spec: DatabaseSpec, *, target: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """``(name, options)`` of each collection and view, ``system.*`` excluded.

    Raises:
        ParamsError: ``spec`` lists a collection the source does not have.
    """
    db = client[spec.target if target else spec.name]
    names = sorted(n for n in db.list_collection_names() if not n.startswith("system."))
    if spec.collections and not target:
        missing = sorted(set(spec.collections) - set(names))
        if missing:
            raise ParamsError("collections", missing, names, message=f"{spec.name} has no collection {missing}")
        names = [n for n in names if n in spec.collections]
    return [(name, dict(db[name].options() or {})) for name in names]


def iter_units(
    source_client: Any, databases: Iterable[DatabaseSpec]
) -> Iterator[tuple[DatabaseSpec, str, dict[str, Any]]]:
    """``(spec, collection, options)`` of every collection and view to move, database by database."""
    for spec in databases:
        for name, options in list_collections(source_client, spec):
            yield spec, name, options


def unit_name(spec: DatabaseSpec, name: str) -> str:
    """How reports and checkpoints name one collection (with its target when the database is renamed)."""
    return f"{spec.name}.{name}" if spec.target == spec.name else f"{spec.name}.{name}->{spec.target}.{name}"


def is_view(options: Mapping[str, Any]) -> bool:
    """Views have no data of their own and DocumentDB has none: they are reported, never moved."""
    return "viewOn" in options
