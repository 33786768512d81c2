"""What DocumentDB 5.0 does not support, and the pure evaluation of one collection against it.

The rules come from ``runbook_lib/data/documentdb_unsupported.json`` (with its sources): views
(DocumentDB has none), operators in view pipelines and validators (``$where``, ``$function``,
``$accumulator``, ``$graphLookup`` …), index types and options (hashed, wildcard, 2d, collations,
text-index options, partial filters beyond the simple operators), capped and time-series
collections, and DocumentDB's limits (document size, index key size, name lengths). Everything here
works on options and index specs only (no store), so it is unit-tested on crafted specs;
:mod:`~runbook_lib.migrate.mongo.compat` runs it over a live source.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from runbook_lib.migrate.base import Finding
from runbook_lib.migrate.mongo.indexes import plain_key


@dataclass(frozen=True)
class DocumentDbRules:
    """What DocumentDB does not support or limits, as loaded from the data file."""

    unsupported_operators: frozenset[str]
    unsupported_stages: frozenset[str]
    warning_operators: frozenset[str]
    warning_stages: frozenset[str]
    unsupported_index_types: frozenset[str]
    unsupported_index_options: frozenset[str]
    text_options_unsupported: frozenset[str]
    partial_filter_operators: frozenset[str]
    limits: Mapping[str, int]
    sources: tuple[str, ...]

    @classmethod
    def load(cls) -> DocumentDbRules:
        data = json.loads(resources.files("runbook_lib.data").joinpath("documentdb_unsupported.json").read_text())
        unsupported, limited = data["unsupported"], data["limited"]
        return cls(
            unsupported_operators=frozenset(unsupported["query_operators"])
            | frozenset(unsupported["aggregation_operators"]),
            unsupported_stages=frozenset(unsupported["aggregation_stages"]),
            warning_operators=frozenset(limited["query_operators_warning"]),
            warning_stages=frozenset(limited["aggregation_stages_warning"]),
            unsupported_index_types=frozenset(unsupported["index_types"]),
            unsupported_index_options=frozenset(unsupported["index_options"]),
            text_options_unsupported=frozenset(limited["text_index_options_unsupported"]),
            partial_filter_operators=frozenset(limited["partial_index_filter_operators"]),
            limits=dict(data["limits"]),
            sources=tuple(data["sources"]),
        )


# ============================================================================ pure helpers


def find_operators(value: Any) -> set[str]:
    """Every ``$``-prefixed key anywhere in a filter, validator or pipeline (not ``$field`` path strings)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, child in item.items():
                if isinstance(key, str) and key.startswith("$"):
                    found.add(key)
                stack.append(child)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def pipeline_stages(pipeline: Iterable[Mapping[str, Any]]) -> list[str]:
    """The stage names of an aggregation pipeline, in order."""
    return [next(iter(stage)) for stage in pipeline if isinstance(stage, Mapping) and stage]


def index_key_types(key: Sequence[tuple[str, Any]]) -> list[str]:
    """The special index types an index key uses (``text``, ``hashed``, ``2dsphere``, ``wildcard`` …)."""
    kinds = []
    for name, direction in key:
        if name == "$**" or name.endswith(".$**"):
            kinds.append("wildcard")
        if isinstance(direction, str):
            kinds.append(direction)
    return kinds


def evaluate_partial_filter(expression: Mapping[str, Any], allowed: frozenset[str]) -> set[str]:
    """Operators in a ``partialFilterExpression`` that DocumentDB does not accept there."""
    return {op for op in find_operators(expression) if op not in allowed}


# ============================================================================ one collection


def evaluate_collection(
    database: str,
    name: str,
    options: Mapping[str, Any],
    indexes: Mapping[str, Mapping[str, Any]],
    rules: DocumentDbRules,
) -> list[Finding]:
    """Findings for one collection (or view) from its options and index specs. Pure, for unit tests."""
    obj = f"{database}.{name}"
    findings = _name_findings(obj, name, rules.limits)
    if "viewOn" in options:
        findings.append(_view_finding(obj, options, rules))
        return findings
    findings.extend(_option_findings(obj, options, rules))
    findings.extend(_index_findings(obj, indexes, rules))
    return findings


def _name_findings(obj: str, name: str, limits: Mapping[str, int]) -> list[Finding]:
    findings: list[Finding] = []
    if len(name) > limits["max_collection_name_chars"]:
        findings.append(
            Finding(
                "blocker",
                obj,
                f"collection name is {len(name)} characters; DocumentDB allows {limits['max_collection_name_chars']}",
                "rename it on the way (target mapping)",
            )
        )
    if len(obj) > limits["max_namespace_chars"]:
        findings.append(
            Finding(
                "blocker",
                obj,
                f"namespace is {len(obj)} characters; DocumentDB allows {limits['max_namespace_chars']}",
                "shorten the database or collection name",
            )
        )
    return findings


def _view_finding(obj: str, options: Mapping[str, Any], rules: DocumentDbRules) -> Finding:
    pipeline = list(options.get("pipeline") or [])
    stages = pipeline_stages(pipeline)
    bad = sorted((set(stages) & rules.unsupported_stages) | (find_operators(pipeline) & rules.unsupported_operators))
    detail = f"; its pipeline also uses {', '.join(bad)}, which DocumentDB lacks" if bad else ""
    return Finding(
        "blocker",
        obj,
        f"view on {options['viewOn']} (stages {', '.join(stages) or 'none'}): DocumentDB has no views{detail}",
        "materialise it into a collection or move the pipeline into the application",
    )


def _option_findings(obj: str, options: Mapping[str, Any], rules: DocumentDbRules) -> list[Finding]:
    """Collection options DocumentDB lacks: capped, time series …, collations, validator operators."""
    findings: list[Finding] = []
    if options.get("capped"):
        findings.append(
            Finding(
                "blocker",
                obj,
                f"capped collection (size {options.get('size')}): DocumentDB has none",
                "copy it as a normal collection with a TTL index, then accept this finding",
            )
        )
    for feature in ("timeseries", "clusteredIndex", "changeStreamPreAndPostImages"):
        if options.get(feature):
            findings.append(
                Finding(
                    "blocker",
                    obj,
                    f"{feature} collection option is not supported by DocumentDB",
                    "re-model the collection",
                )
            )
    if options.get("collation"):
        findings.append(
            Finding(
                "blocker",
                obj,
                f"collection collation {options['collation'].get('locale')}: "
                "DocumentDB compares with simple binary collation only",
                "normalise case in the data (e.g. a lower-cased field) instead",
            )
        )
    validator = options.get("validator")
    if validator:
        operators = find_operators(validator)
        bad = sorted(operators & rules.unsupported_operators)
        doubtful = sorted(operators & rules.warning_operators)
        if bad:
            findings.append(
                Finding(
                    "blocker",
                    obj,
                    f"validator uses {', '.join(bad)}, which DocumentDB does not support",
                    "rewrite the validator with supported operators",
                )
            )
        if doubtful:
            findings.append(
                Finding(
                    "warning",
                    obj,
                    f"validator uses {', '.join(doubtful)}: limited in DocumentDB",
                    "test the validator on DocumentDB before the cut-over",
                )
            )
    return findings


def _index_findings(obj: str, indexes: Mapping[str, Mapping[str, Any]], rules: DocumentDbRules) -> list[Finding]:
    """The index count, each index's type, options and name, and the number of text indexes."""
    findings: list[Finding] = []
    limits = rules.limits
    if len(indexes) > limits["max_indexes_per_collection"]:
        findings.append(
            Finding(
                "blocker",
                obj,
                f"{len(indexes)} indexes; DocumentDB allows {limits['max_indexes_per_collection']}",
                "drop unused indexes",
            )
        )
    text_indexes = 0
    for index_name, spec in indexes.items():
        kinds = index_key_types(plain_key(spec["key"]))
        if "text" in kinds:
            text_indexes += 1
        findings.extend(_one_index_findings(f"{obj} index {index_name}", index_name, spec, kinds, rules))
    if text_indexes > 1:
        findings.append(
            Finding(
                "blocker",
                obj,
                f"{text_indexes} text indexes; DocumentDB allows one per collection",
                "merge them into one",
            )
        )
    return findings


def _one_index_findings(
    where: str, index_name: str, spec: Mapping[str, Any], kinds: list[str], rules: DocumentDbRules
) -> list[Finding]:
    findings: list[Finding] = []
    for kind in kinds:
        if kind in rules.unsupported_index_types:
            findings.append(
                Finding(
                    "blocker",
                    where,
                    f"{kind} indexes are not supported by DocumentDB",
                    "replace it with a supported index type",
                )
            )
    if "text" in kinds:
        bad_options = sorted(set(spec) & rules.text_options_unsupported)
        if bad_options:
            findings.append(
                Finding(
                    "blocker",
                    where,
                    f"text index options {', '.join(bad_options)} are not supported by DocumentDB",
                    "use a text index with default options",
                )
            )
    for option in sorted(set(spec) & rules.unsupported_index_options):
        findings.append(
            Finding(
                "blocker",
                where,
                f"index option {option} is not supported by DocumentDB",
                "re-create the index without it",
            )
        )
    partial = spec.get("partialFilterExpression")
    if partial:
        bad = sorted(evaluate_partial_filter(partial, rules.partial_filter_operators))
        if bad:
            findings.append(
                Finding(
                    "blocker",
                    where,
                    f"partial filter uses {', '.join(bad)}; DocumentDB accepts "
                    f"only {', '.join(sorted(rules.partial_filter_operators))}",
                    "simplify the partial filter",
                )
            )
    max_name = rules.limits["max_index_name_chars"]
    if len(index_name) > max_name:
        findings.append(
            Finding(
                "blocker",
                where,
                f"index name is {len(index_name)} characters; DocumentDB allows {max_name}",
                "name the index explicitly",
            )
        )
    return findings
