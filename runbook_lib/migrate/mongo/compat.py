"""The DocumentDB compatibility check over a live source: rules, limits, system collections.

Every database, collection, view and index goes through :func:`~runbook_lib.migrate.mongo.rules.evaluate_collection`;
documents are scanned for DocumentDB's size limits (document bytes, index key bytes); a target
collection that already holds documents is a warning. Application code (``mapReduce``, ``$where`` in
queries) is not visible in the data and is called out as a manual review item. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from runbook_lib.migrate.base import CheckReport, Finding
from runbook_lib.migrate.mongo.documents import id_text
from runbook_lib.migrate.mongo.indexes import index_specs, plain_key
from runbook_lib.migrate.mongo.listing import DatabaseSpec, is_view, iter_units
from runbook_lib.migrate.mongo.rules import DocumentDbRules, evaluate_collection


def check_compatibility(
    source_client: Any,
    target_client: Any,
    databases: Sequence[DatabaseSpec],
    rules: DocumentDbRules,
    *,
    kind: str,
    scan_limit: int | None,
    accept: Iterable[str],
) -> CheckReport:
    """DocumentDB compatibility of every database, collection, view and index; scans for limits.

    Args:
        scan_limit: documents per collection scanned for the size limits (None: all).
        accept: finding objects the operator acknowledged: their blockers become warnings.
    """
    report = CheckReport(kind=kind)
    findings = report.findings
    for spec in databases:
        findings.extend(_database_findings(source_client, spec, rules.limits))
    total_docs = 0
    for spec, name, options in iter_units(source_client, databases):
        collection = source_client[spec.name][name]
        indexes = {} if is_view(options) else index_specs(collection)
        findings.extend(evaluate_collection(spec.name, name, options, indexes, rules))
        if is_view(options):
            continue
        total_docs += scan_limits(f"{spec.name}.{name}", collection, indexes, findings, rules, scan_limit)
        target_db = target_client[spec.target]
        existing = target_db[name].estimated_document_count() if name in target_db.list_collection_names() else 0
        if existing:
            findings.append(
                Finding(
                    "warning",
                    f"{spec.target}.{name}",
                    f"the target collection already holds {existing} documents",
                    "copy upserts by _id; documents only on the target stay and verify reports them as extra",
                )
            )
    findings.append(
        Finding(
            "info",
            "application code",
            "mapReduce, $where/$function in queries and other "
            "unsupported operators in application code cannot be seen in the data",
            "review the application's queries against " + rules.sources[0],
        )
    )
    findings.append(Finding("info", "size", f"{total_docs} documents in {len(databases)} databases"))
    accepted = set(accept)
    for finding in findings:
        if finding.severity == "blocker" and finding.object in accepted:
            finding.severity, finding.message = "warning", f"{finding.message} (accepted by the operator)"
    return report


def _database_findings(source_client: Any, spec: DatabaseSpec, limits: Mapping[str, int]) -> list[Finding]:
    """Database names over DocumentDB's limit, and the ``system.*`` collections (stored JavaScript …)."""
    findings: list[Finding] = []
    for db_name in {spec.name, spec.target}:
        if len(db_name) > limits["max_database_name_chars"]:
            findings.append(
                Finding(
                    "blocker",
                    db_name,
                    f"database name is {len(db_name)} characters; "
                    f"DocumentDB allows {limits['max_database_name_chars']}",
                    "map it to a shorter name",
                )
            )
    system_names = [n for n in source_client[spec.name].list_collection_names() if n.startswith("system.")]
    for system in sorted(system_names):
        stored_js = system == "system.js"
        findings.append(
            Finding(
                "warning" if stored_js else "info",
                f"{spec.name}.{system}",
                "stored JavaScript: DocumentDB does not run it; not copied"
                if stored_js
                else "server-managed system collection; not copied (views are listed separately)",
                "move the functions into the application" if stored_js else "",
            )
        )
    return findings


def scan_limits(
    obj: str,
    collection: Any,
    indexes: Mapping[str, Mapping[str, Any]],
    findings: list[Finding],
    rules: DocumentDbRules,
    scan_limit: int | None,
) -> int:
    """Documents over DocumentDB's size limit and index entries over its key-size limit; returns how many were read."""
    import bson

    max_doc, max_key = rules.limits["max_document_bytes"], rules.limits["max_index_key_bytes"]
    keys = {
        n: plain_key(s["key"])
        for n, s in indexes.items()
        if not any(isinstance(d, str) for _, d in plain_key(s["key"]))
    }
    too_big: list[str] = []
    long_keys: dict[str, list[str]] = {}
    scanned = 0
    cursor = collection.find({})
    if scan_limit is not None:
        cursor = cursor.limit(scan_limit)
    for document in cursor:
        scanned += 1
        if len(bson.encode(document)) > max_doc:
            too_big.append(id_text(document.get("_id")))
        for index_name, key in keys.items():
            if index_key_size(document, key) > max_key:
                long_keys.setdefault(index_name, []).append(id_text(document.get("_id")))
    if too_big:
        findings.append(
            Finding(
                "blocker",
                obj,
                f"{len(too_big)} documents exceed {max_doc} bytes (e.g. _id {', '.join(too_big[:3])})",
                "split them or move blobs to S3",
            )
        )
    for index_name, ids in long_keys.items():
        findings.append(
            Finding(
                "blocker",
                f"{obj} index {index_name}",
                f"{len(ids)} index keys exceed {max_key} bytes (e.g. _id {', '.join(ids[:3])})",
                "index a hash or prefix of the field instead",
            )
        )
    if scan_limit is not None and scanned >= scan_limit:
        findings.append(Finding("info", obj, f"size limits checked on the first {scanned} documents only"))
    return scanned


def index_key_size(document: Mapping[str, Any], key: Sequence[tuple[str, Any]]) -> int:
    """Approximate bytes of the largest index entry ``document`` makes for ``key`` (multikey: largest)."""
    import bson

    total = 0
    for path, _direction in key:
        values = _values_at(document, path.split("."))
        sizes = [len(bson.encode({"": v})) - 5 for v in values] or [0]
        total += max(sizes)
    return total


def _values_at(value: Any, parts: list[str]) -> list[Any]:
    if not parts:
        return list(value) if isinstance(value, list) else [value]
    if isinstance(value, list):
        return [v for item in value for v in _values_at(item, parts)]
    if isinstance(value, Mapping) and parts[0] in value:
        return _values_at(value[parts[0]], parts[1:])
    return []
