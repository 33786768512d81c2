"""Reading a dump's table of contents (``pg_restore -l``): which entry ids to hand back to ``-L``.

There is no JSON form of the listing; this is the text format ``pg_restore --use-list`` reads back,
so only the dump id and the object id are relied on and the rest is a label for messages.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Descriptions in ``pg_restore -l`` output that are more than one word, longest first.
_MULTIWORD_DESCS = (
    "MATERIALIZED VIEW DATA",
    "SEQUENCE OWNED BY",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "TEXT SEARCH PARSER",
    "TEXT SEARCH TEMPLATE",
    "FOREIGN DATA WRAPPER",
    "DATABASE PROPERTIES",
    "FK CONSTRAINT",
    "CHECK CONSTRAINT",
    "TABLE DATA",
    "SEQUENCE SET",
    "DEFAULT ACL",
    "LARGE OBJECT",
    "MATERIALIZED VIEW",
    "FOREIGN TABLE",
    "FOREIGN SERVER",
    "USER MAPPING",
    "EVENT TRIGGER",
    "TABLE ATTACH",
    "INDEX ATTACH",
    "OPERATOR CLASS",
    "OPERATOR FAMILY",
    "PROCEDURAL LANGUAGE",
    "ACCESS METHOD",
    "PUBLICATION TABLE",
    "PUBLICATION TABLES IN SCHEMA",
    "ROW SECURITY",
    "SHELL TYPE",
)


@dataclass(frozen=True)
class TocEntry:
    """One line of ``pg_restore -l``: what ``-L`` needs (the dump id) and what we show."""

    dump_id: int
    desc: str
    oid: int
    label: str


def parse_toc(text: str) -> list[TocEntry]:
    """Parse ``pg_restore -l`` output (there is no JSON form; this is the format ``-L`` reads back).

    Each entry line is ``ID; TABLEOID OID DESC TAG...``; comment lines start with ``;``. Only the
    dump id and the object id are relied on; the label is for messages.
    """
    entries: list[TocEntry] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        head, _, rest = line.partition(";")
        parts = rest.strip().split(" ", 2)
        if not head.strip().isdigit() or len(parts) < 3:
            continue
        tail = parts[2]
        desc = next((d for d in _MULTIWORD_DESCS if tail == d or tail.startswith(d + " ")), tail.split(" ", 1)[0])
        label = tail[len(desc) :].strip()
        entries.append(TocEntry(int(head), desc, int(parts[1]) if parts[1].isdigit() else 0, label))
    return entries
