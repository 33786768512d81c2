"""MongoDB -> Amazon DocumentDB: compatibility check, batched resumable copy, content verification.

Why our own copy rather than ``mongodump``/``mongorestore``: the sandbox has no MongoDB server
(its Mongo is the file-backed mongomock of ``sandbox_shims.mongo_store``), and a copy written
against the plain pymongo API runs unchanged against MongoDB, DocumentDB and the shim. Clients
come from :func:`runbook_lib.clients.mongo_client`; nothing here imports the shim.

* **check**: what DocumentDB 5.0 does not support, from ``runbook_lib/data/documentdb_unsupported.json``
  (with its sources): views (DocumentDB has none), operators in view pipelines and validators
  (``$where``, ``$function``, ``$accumulator``, ``$graphLookup`` …), index types and options
  (hashed, wildcard, 2d, collations, text-index options, partial filters beyond the simple
  operators), capped and time-series collections, and DocumentDB's limits (document size, index key
  size, name lengths). Application code (``mapReduce``, ``$where`` in queries) is not visible in the
  data and is called out as a manual review item.
* **copy**: each collection in ``_id`` order, in batches written with ``ReplaceOne(upsert=True)``
  keyed on ``_id``, so writing a batch twice is harmless; the last ``_id`` written is checkpointed
  after every batch (tmp + ``os.replace``), and a resumed copy starts after it — type-aware, since
  MongoDB compares ``$gt`` only within one BSON type. Indexes (unique, compound, TTL, partial …) are
  created after the data, as a bulk load wants.
* **verify**: per collection, a 64-bit hash of each document's BSON bytes (field order included),
  matched by ``_id`` (missing / changed / extra), an order-independent sum as the collection
  checksum, and the index sets compared.

Limits: collections are copied one after another (the shim is not safe for concurrent writers);
verify holds one hash per source document in memory (~100 bytes each); documents changed on the
source after they were copied are not re-copied (a resumed copy only goes forward) — quiesce the
writers, or use DMS with CDC (:mod:`runbook_lib.migrate.at_scale.dms`) for a move under load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from runbook_lib.errors import CopyFailedError, ParamsError
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Finding,
    Migrator,
    ProgressFactory,
    VerifyReport,
    VerifyRow,
    default_checkpoint_dir,
)
from runbook_lib.util import atomic_write_text

log = logging.getLogger("runbook_lib.migrate.mongo")

CHECKPOINT_VERSION = 1
#: Index options that are bookkeeping, not part of what an index is.
_INDEX_NOISE = frozenset({"v", "ns", "key", "name", "background"})


# ============================================================================ rules (the data file)


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
        data = json.loads(
            resources.files("runbook_lib.data").joinpath("documentdb_unsupported.json").read_text()
        )
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


def _plain_key(key: Any) -> list[tuple[str, Any]]:
    if isinstance(key, Mapping):
        return list(key.items())
    return [(str(k), d) for k, d in key]


def normalize_index(name: str, spec: Mapping[str, Any]) -> tuple[str, str]:
    """``(name, canonical JSON of key + options)``: what must be equal for two indexes to be the same."""
    from bson import json_util

    options = {k: v for k, v in spec.items() if k not in _INDEX_NOISE}
    body = {"key": [[k, d] for k, d in _plain_key(spec["key"])], **dict(sorted(options.items()))}
    return name, json_util.dumps(body, sort_keys=True)


def evaluate_partial_filter(expression: Mapping[str, Any], allowed: frozenset[str]) -> set[str]:
    """Operators in a ``partialFilterExpression`` that DocumentDB does not accept there."""
    return {op for op in find_operators(expression) if op not in allowed}


def evaluate_collection(
    database: str,
    name: str,
    options: Mapping[str, Any],
    indexes: Mapping[str, Mapping[str, Any]],
    rules: DocumentDbRules,
) -> list[Finding]:
    """Findings for one collection (or view) from its options and index specs. Pure, for unit tests."""
    findings: list[Finding] = []
    obj = f"{database}.{name}"
    limits = rules.limits
    if len(name) > limits["max_collection_name_chars"]:
        findings.append(
            Finding(
                "blocker",
                obj,
                f"collection name is {len(name)} characters; DocumentDB allows "
                f"{limits['max_collection_name_chars']}",
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
    if "viewOn" in options:
        pipeline = list(options.get("pipeline") or [])
        stages = pipeline_stages(pipeline)
        bad = sorted(
            (set(stages) & rules.unsupported_stages)
            | (find_operators(pipeline) & rules.unsupported_operators)
        )
        detail = f"; its pipeline also uses {', '.join(bad)}, which DocumentDB lacks" if bad else ""
        findings.append(
            Finding(
                "blocker",
                obj,
                f"view on {options['viewOn']} (stages {', '.join(stages) or 'none'}): "
                f"DocumentDB has no views{detail}",
                "materialise it into a collection or move the pipeline into the application",
            )
        )
        return findings
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
        where = f"{obj} index {index_name}"
        kinds = index_key_types(_plain_key(spec["key"]))
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
            text_indexes += 1
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
        if len(index_name) > limits["max_index_name_chars"]:
            findings.append(
                Finding(
                    "blocker",
                    where,
                    f"index name is {len(index_name)} characters; DocumentDB allows "
                    f"{limits['max_index_name_chars']}",
                    "name the index explicitly",
                )
            )
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


def doc_hash64(document: Mapping[str, Any]) -> int:
    """First 64 bits of sha256 of the document's BSON (field order and types included)."""
    import bson

    return int.from_bytes(hashlib.sha256(bson.encode(document)).digest()[:8], "big")


def id_key(value: Any) -> bytes:
    """A hashable, type-exact key for an ``_id`` (``1`` and ``1.0`` stay apart)."""
    import bson

    return bson.encode({"_id": value})


def id_text(value: Any) -> str:
    from bson import json_util

    return json_util.dumps(value)


def write_batch(collection: Any, batch: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """Write a batch with upsert semantics on ``_id``: insert new documents, replace those already there.

    Why not ``bulk_write([ReplaceOne(upsert=True)])``: it is the natural form, but mongomock (the
    sandbox's stand-in) cannot take the ``ReplaceOne`` of current pymongo. Looking up which ``_id``
    values exist costs one indexed query per batch; after a resume only the first batch has any.

    Returns:
        ``(inserted, replaced)``.
    """
    keys = {id_key(d["_id"]): d for d in batch}
    present = {
        id_key(d["_id"]) for d in collection.find({"_id": {"$in": [d["_id"] for d in batch]}}, {"_id": 1})
    }
    fresh = [d for k, d in keys.items() if k not in present]
    if fresh:
        collection.insert_many(fresh, ordered=False)
    for key in present:
        collection.replace_one({"_id": keys[key]["_id"]}, keys[key])
    return len(fresh), len(present)


def collection_checksum(hashes: Iterable[int]) -> str:
    """Order-independent: the sum of the document hashes modulo 2**64, as 16 hex digits."""
    return f"{sum(hashes) % (1 << 64):016x}"


#: MongoDB's cross-type sort order ("brackets"); ``$gt`` only compares within one bracket. The
#: deprecated ``symbol`` alias is left out (pymongo decodes it as a string anyway).
_TYPE_BRACKETS: tuple[tuple[str, ...], ...] = (
    ("minKey",),
    ("null",),
    ("int", "long", "double", "decimal"),
    ("string",),
    ("object",),
    ("binData",),
    ("objectId",),
    ("bool",),
    ("date",),
    ("timestamp",),
    ("regex",),
    ("maxKey",),
)


def type_bracket(value: Any) -> int:
    """The sort bracket of a Python value as pymongo decodes BSON."""
    import bson
    from bson.max_key import MaxKey
    from bson.min_key import MinKey

    if isinstance(value, MinKey):
        return 0
    if value is None:
        return 1
    if isinstance(value, bool):
        return 7
    if isinstance(value, (int, float, bson.Decimal128, bson.Int64)):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, Mapping):
        return 4
    if isinstance(value, (bytes, bson.Binary, uuid.UUID)):
        return 5
    if isinstance(value, bson.ObjectId):
        return 6
    if isinstance(value, dt.datetime):
        return 8
    if isinstance(value, bson.Timestamp):
        return 9
    if isinstance(value, (bson.Regex, re.Pattern)):
        return 10
    if isinstance(value, MaxKey):
        return 11
    return 4


def resume_filter(last_id: Any, max_id: Any = None) -> dict[str, Any]:
    """Documents after ``last_id`` in ``_id`` order, including those of later BSON types up to ``max_id``'s.

    MongoDB's ``$gt`` compares only within a type bracket, so after the last string ``_id`` it would
    never return an ObjectId one. When the largest ``_id`` (``max_id``) is of the same bracket, the
    plain ``$gt`` is all that is needed (the usual case, and the only one that uses the index
    simply); otherwise one ``$type`` clause per later bracket up to the largest is added.
    """
    first = type_bracket(last_id)
    last = type_bracket(max_id) if max_id is not None else first
    if last <= first:
        return {"_id": {"$gt": last_id}}
    later = [alias for bracket in _TYPE_BRACKETS[first + 1 : last + 1] for alias in bracket]
    return {"$or": [{"_id": {"$gt": last_id}}, *({"_id": {"$type": alias}} for alias in later)]}


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


# ============================================================================ checkpoint


@dataclass
class CollectionState:
    last_id: str | None = None  # canonical extended JSON of {"_id": ...}
    copied: int = 0
    done: bool = False
    indexes_done: bool = False


@dataclass
class MongoCheckpoint:
    version: int = CHECKPOINT_VERSION
    collections: dict[str, CollectionState] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> MongoCheckpoint | None:
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        if raw.get("version") != CHECKPOINT_VERSION:
            return None
        return cls(
            CHECKPOINT_VERSION, {k: CollectionState(**v) for k, v in raw.get("collections", {}).items()}
        )

    def save(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(asdict(self), indent=1))


def _encode_id(value: Any) -> str:
    from bson import json_util

    return json_util.dumps({"_id": value}, json_options=json_util.CANONICAL_JSON_OPTIONS)


def _decode_id(text: str) -> Any:
    from bson import json_util

    return json_util.loads(text, json_options=json_util.CANONICAL_JSON_OPTIONS)["_id"]


# ============================================================================ the migrator


@dataclass(frozen=True)
class DatabaseSpec:
    """One source database, its name on the target, and optionally which collections (default: all)."""

    name: str
    target_name: str | None = None
    collections: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        return self.target_name or self.name


class MongoMigrator(Migrator):
    """Move MongoDB databases to DocumentDB with the pymongo API (see the module docstring).

    Args:
        source_client: a pymongo-compatible client of the source (only read).
        target_client: a pymongo-compatible client of the target.
        databases: database names, or :class:`DatabaseSpec` for renames and collection subsets.
        batch_size: documents per bulk write and per checkpoint.
        checkpoint_dir: where the checkpoint lives.
        progress: tqdm-like factory.
        label: names the checkpoint file (default: derived from the database names).
        scan_limit: documents per collection the check scans for size limits (None: all).
        accept: finding objects the operator acknowledged (their blockers become warnings).
        max_problems: mismatched ``_id`` values listed per collection in the verify report.
        source_uri, target_uri: the connection URIs as AWS DMS must reach the two servers (the at-scale
            path builds its endpoints from them; the clients above are what this migrator reads and
            writes with). ``from_params`` sets them; without them the DMS path stops with a ParamsError.
    """

    kind = "mongo"

    def __init__(
        self,
        source_client: Any,
        target_client: Any,
        databases: Sequence[str | DatabaseSpec],
        batch_size: int = 1000,
        *,
        checkpoint_dir: Path,
        workers: int = 1,
        progress: ProgressFactory | None = None,
        label: str | None = None,
        scan_limit: int | None = None,
        accept: Iterable[str] = (),
        max_problems: int = 20,
        source_uri: str | None = None,
        target_uri: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ParamsError("batch_size", batch_size, ">= 1")
        super().__init__(checkpoint_dir=checkpoint_dir, workers=workers, progress=progress)
        self.source_client = source_client
        self.target_client = target_client
        self.databases = [d if isinstance(d, DatabaseSpec) else DatabaseSpec(d) for d in databases]
        if not self.databases:
            raise ParamsError("databases", [], "at least one database")
        self.batch_size = batch_size
        self.scan_limit = scan_limit
        self.accept = set(accept)
        self.max_problems = max_problems
        self.rules = DocumentDbRules.load()
        label = label or "+".join(f"{d.name}-{d.target}" for d in self.databases)
        self.label = label
        self.checkpoint_path = self.checkpoint_dir / f"mongo-{label}.json"
        # Held privately: they may carry passwords (registered with the redactor when resolved).
        self._source_uri, self._target_uri = source_uri, target_uri
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ construction from params
    @classmethod
    def from_params(
        cls,
        params: Any,
        sandbox_state: Any | None,
        *,
        checkpoint_dir: Path | None = None,
        progress: ProgressFactory | None = None,
        docdb_endpoint: str | None = None,
    ) -> Migrator:
        """One migrator per (source URI, target URI) pair of ``migration.mongo`` (a group when several).

        In the sandbox the target is where the DocumentDB endpoint binds: a cluster endpoint moto
        reports (``docdb_endpoint``, or discovered with ``DescribeDBClusters``) is resolved through
        :func:`runbook_lib.endpoints.resolve_endpoint`; without one, the ``mongo-target`` service is used.
        """
        from runbook_lib.clients import mongo_client
        from runbook_lib.endpoints import aws_endpoint_url, resolve_endpoint
        from runbook_lib.migrate._group import MigratorGroup
        from runbook_lib.params import resolve_secret

        mappings = list(params.migration.mongo)
        if not mappings:
            raise ParamsError(
                "migration.mongo", [], "at least one database mapping (name, source_uri_ref, target_uri_ref)"
            )
        resolver = (
            (lambda name: sandbox_state.url(name, with_secret=True)) if sandbox_state is not None else None
        )
        endpoint_url = aws_endpoint_url(params.aws)
        reported = docdb_endpoint or (_discover_docdb_endpoint(params) if params.is_sandbox else None)
        groups: dict[tuple[str, str], list[DatabaseSpec]] = {}
        dms_uris: dict[tuple[str, str], tuple[str, str]] = {}
        for mapping in mappings:
            source_uri = resolve_secret(
                mapping.source_uri_ref, sandbox_resolver=resolver, endpoint_url=endpoint_url
            )
            target_uri = resolve_secret(
                mapping.target_uri_ref, sandbox_resolver=resolver, endpoint_url=endpoint_url
            )
            # DMS reaches DocumentDB by the address AWS reports, not by the sandbox's binding of it.
            dms_target_uri = target_uri
            if params.is_sandbox and reported:
                dms_target_uri = f"mongodb://{reported}/"
                target_uri = resolve_endpoint("docdb", reported, sandbox=True).connect_to
                log.info("DocumentDB endpoint %s binds to %s in the sandbox", reported, target_uri)
            spec = DatabaseSpec(mapping.name, mapping.target_name, tuple(mapping.collections))
            groups.setdefault((source_uri, target_uri), []).append(spec)
            dms_uris[(source_uri, target_uri)] = (source_uri, dms_target_uri)
        base_dir = checkpoint_dir or default_checkpoint_dir(params.env, cls.kind)
        members: list[tuple[str, Migrator]] = []
        for (source_uri, target_uri), specs in groups.items():
            label = "+".join(f"{s.name}-{s.target}" for s in specs)
            members.append(
                (
                    label,
                    cls(
                        mongo_client(source_uri),
                        mongo_client(target_uri),
                        specs,
                        checkpoint_dir=base_dir,
                        progress=progress,
                        label=label,
                        source_uri=dms_uris[(source_uri, target_uri)][0],
                        target_uri=dms_uris[(source_uri, target_uri)][1],
                    ),
                )
            )
        if len(members) == 1:
            return members[0][1]
        return MigratorGroup(cls.kind, members, checkpoint_dir=base_dir, progress=progress)

    # ------------------------------------------------------------------ listing
    def _collections(
        self, client: Any, spec: DatabaseSpec, *, target: bool = False
    ) -> list[tuple[str, dict[str, Any]]]:
        """``(name, options)`` of each collection and view, ``system.*`` excluded."""
        db = client[spec.target if target else spec.name]
        names = sorted(n for n in db.list_collection_names() if not n.startswith("system."))
        if spec.collections and not target:
            missing = sorted(set(spec.collections) - set(names))
            if missing:
                raise ParamsError(
                    "collections", missing, names, message=f"{spec.name} has no collection {missing}"
                )
            names = [n for n in names if n in spec.collections]
        return [(name, dict(db[name].options() or {})) for name in names]

    @staticmethod
    def _indexes(collection: Any) -> dict[str, dict[str, Any]]:
        return {name: dict(spec) for name, spec in collection.index_information().items()}

    def _units(self) -> Iterator[tuple[DatabaseSpec, str, dict[str, Any]]]:
        for spec in self.databases:
            for name, options in self._collections(self.source_client, spec):
                yield spec, name, options

    @staticmethod
    def _unit_name(spec: DatabaseSpec, name: str) -> str:
        return (
            f"{spec.name}.{name}" if spec.target == spec.name else f"{spec.name}.{name}->{spec.target}.{name}"
        )

    def source_size_bytes(self) -> int:
        """Uncompressed bytes of every collection to move: the input of the DMS/native choice.

        ``collStats.size`` where the server answers it (MongoDB, DocumentDB); otherwise (the sandbox's
        mongomock has no ``collStats``) the BSON size of each document, which reads the collection.
        """
        import bson

        total = 0
        for spec, name, options in self._units():
            if "viewOn" in options:
                continue  # a view holds no data of its own
            db = self.source_client[spec.name]
            try:
                total += int(db.command({"collStats": name}).get("size", 0))
            except Exception as error:  # noqa: BLE001 - mongomock: NotImplementedError; old servers differ
                log.info("collStats unavailable for %s.%s (%s): summing BSON sizes", spec.name, name,
                         type(error).__name__)
                total += sum(len(bson.encode(doc)) for doc in db[name].find({}))
        return total

    # ------------------------------------------------------------------ check
    def check(self) -> CheckReport:
        """DocumentDB compatibility of every database, collection, view and index; scans for limits."""
        report = CheckReport(kind=self.kind)
        findings = report.findings
        limits = self.rules.limits
        for spec in self.databases:
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
            system_names = [
                n for n in self.source_client[spec.name].list_collection_names() if n.startswith("system.")
            ]
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
        total_docs = 0
        for spec, name, options in self._units():
            collection = self.source_client[spec.name][name]
            indexes = {} if "viewOn" in options else self._indexes(collection)
            findings.extend(evaluate_collection(spec.name, name, options, indexes, self.rules))
            if "viewOn" in options:
                continue
            total_docs += self._scan_limits(spec, name, collection, indexes, findings)
            existing = (
                self.target_client[spec.target][name].estimated_document_count()
                if name in self.target_client[spec.target].list_collection_names()
                else 0
            )
            if existing:
                findings.append(
                    Finding(
                        "warning",
                        f"{spec.target}.{name}",
                        f"the target collection already holds {existing} documents",
                        "copy upserts by _id; documents only on the target "
                        "stay and verify reports them as extra",
                    )
                )
        findings.append(
            Finding(
                "info",
                "application code",
                "mapReduce, $where/$function in queries and other "
                "unsupported operators in application code cannot be seen in the data",
                "review the application's queries against " + self.rules.sources[0],
            )
        )
        findings.append(Finding("info", "size", f"{total_docs} documents in {len(self.databases)} databases"))
        for finding in findings:
            if finding.severity == "blocker" and finding.object in self.accept:
                finding.severity, finding.message = "warning", f"{finding.message} (accepted by the operator)"
        return report

    def _scan_limits(
        self,
        spec: DatabaseSpec,
        name: str,
        collection: Any,
        indexes: Mapping[str, Mapping[str, Any]],
        findings: list[Finding],
    ) -> int:
        """Documents over DocumentDB's size limit and index entries over its key-size limit."""
        import bson

        max_doc, max_key = self.rules.limits["max_document_bytes"], self.rules.limits["max_index_key_bytes"]
        keys = {
            n: _plain_key(s["key"])
            for n, s in indexes.items()
            if not any(isinstance(d, str) for _, d in _plain_key(s["key"]))
        }
        too_big: list[str] = []
        long_keys: dict[str, list[str]] = {}
        scanned = 0
        cursor = collection.find({})
        if self.scan_limit is not None:
            cursor = cursor.limit(self.scan_limit)
        for document in cursor:
            scanned += 1
            if len(bson.encode(document)) > max_doc:
                too_big.append(id_text(document.get("_id")))
            for index_name, key in keys.items():
                if index_key_size(document, key) > max_key:
                    long_keys.setdefault(index_name, []).append(id_text(document.get("_id")))
        obj = f"{spec.name}.{name}"
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
        if self.scan_limit is not None and scanned >= self.scan_limit:
            findings.append(
                Finding("info", obj, f"size limits checked on the first {scanned} documents only")
            )
        return scanned

    # ------------------------------------------------------------------ copy
    def copy(self, *, resume: bool = True) -> CopyReport:
        """Copy every collection in ``_id`` order, batch by batch, then create its indexes."""
        from pymongo.errors import BulkWriteError

        started = time.monotonic()
        checkpoint = (MongoCheckpoint.load(self.checkpoint_path) if resume else None) or MongoCheckpoint()
        if not resume:
            checkpoint.save(self.checkpoint_path)
        report = CopyReport(
            kind=self.kind, details={"views_not_copied": [], "indexes_created": 0, "units": {}}
        )
        units = [(spec, name, options) for spec, name, options in self._units()]
        total = sum(
            self.source_client[s.name][n].estimated_document_count() for s, n, o in units if "viewOn" not in o
        )
        bar = self.progress(total=total, desc="copy mongo", unit="doc")
        try:
            for spec, name, options in units:
                unit = self._unit_name(spec, name)
                if "viewOn" in options:
                    report.details["views_not_copied"].append(unit)
                    log.warning("%s is a view; DocumentDB has none, so it is not copied", unit)
                    continue
                state = checkpoint.collections.setdefault(unit, CollectionState())
                source = self.source_client[spec.name][name]
                target = self.target_client[spec.target][name]
                if state.done:
                    report.items_skipped += state.copied
                    bar.update(state.copied)
                else:
                    if state.copied:
                        report.items_skipped += state.copied
                        bar.update(state.copied)
                    query: dict[str, Any] = {}
                    if state.last_id:
                        largest = next(iter(source.find({}, {"_id": 1}, sort=[("_id", -1)], limit=1)), None)
                        query = resume_filter(_decode_id(state.last_id), largest["_id"] if largest else None)
                    batch: list[dict[str, Any]] = []

                    def flush(
                        batch: list[dict[str, Any]] = batch,
                        state: CollectionState = state,
                        target: Any = target,
                        unit: str = unit,
                    ) -> None:
                        import bson

                        try:
                            write_batch(target, batch)
                        except BulkWriteError as error:
                            failed = {
                                id_text(e.get("op", {}).get("_id")): e.get("errmsg", "")
                                for e in error.details.get("writeErrors", [])
                            }
                            raise CopyFailedError(self.kind, unit, failed, report.items_copied) from None
                        state.last_id = _encode_id(batch[-1]["_id"])
                        state.copied += len(batch)
                        report.items_copied += len(batch)
                        report.bytes_copied += sum(len(bson.encode(d)) for d in batch)
                        self._save(checkpoint)
                        bar.update(len(batch))
                        batch.clear()

                    for document in source.find(query, sort=[("_id", 1)], batch_size=self.batch_size):
                        batch.append(document)
                        if len(batch) >= self.batch_size:
                            flush()
                    if batch:
                        flush()
                    state.done = True
                    self._save(checkpoint)
                created = 0
                if not state.indexes_done:
                    created = self._copy_indexes(source, target, options)
                    report.details["indexes_created"] += created
                    state.indexes_done = True
                    self._save(checkpoint)
                report.details["units"][unit] = {"documents": state.copied, "indexes_created": created}
        finally:
            bar.close()
        report.seconds = time.monotonic() - started
        return report

    def _save(self, checkpoint: MongoCheckpoint) -> None:
        with self._lock:
            checkpoint.save(self.checkpoint_path)

    def _copy_indexes(self, source: Any, target: Any, options: Mapping[str, Any]) -> int:
        """Create on the target every source index it lacks (same name, key and options)."""
        existing = set(self._indexes(target))
        created = 0
        for name, spec in self._indexes(source).items():
            if name == "_id_" or name in existing:
                continue
            extra = {k: v for k, v in spec.items() if k not in _INDEX_NOISE}
            target.create_index(_plain_key(spec["key"]), name=name, **extra)
            created += 1
        return created

    # ------------------------------------------------------------------ around an external load (DMS)
    @property
    def dms_uris(self) -> tuple[str | None, str | None]:
        """The source and target URIs as DMS must reach them (None when built from clients only)."""
        return self._source_uri, self._target_uri

    def collections_to_move(self, spec: DatabaseSpec) -> tuple[list[str], list[str]]:
        """``(collections, views)`` of one source database that a copy moves: views are not moved."""
        collections: list[str] = []
        views: list[str] = []
        for name, options in self._collections(self.source_client, spec):
            (views if "viewOn" in options else collections).append(name)
        return collections, views

    def create_indexes(self, databases: Iterable[DatabaseSpec] | None = None) -> dict[str, int]:
        """Create on the target every source index it lacks, for documents loaded by something else.

        Why: AWS DMS copies documents and the ``_id`` index only; after its full load the secondary
        indexes (unique, compound, TTL, partial …) come from here — the same step :meth:`copy` runs
        after its own data, with the same names and options, so :meth:`verify` compares them. Indexes
        already there are left alone, so it can run again. Returns the indexes created per unit.
        """
        created: dict[str, int] = {}
        for spec in databases if databases is not None else self.databases:
            for name, options in self._collections(self.source_client, spec):
                if "viewOn" in options:
                    continue
                source = self.source_client[spec.name][name]
                target = self.target_client[spec.target][name]
                created[self._unit_name(spec, name)] = self._copy_indexes(source, target, options)
        return created

    def reset_target(self) -> None:
        """Drop the target collections this migrator writes and forget the checkpoint (tests, rehearsals)."""
        for spec in self.databases:
            for name, _ in self._collections(self.source_client, spec):
                self.target_client[spec.target].drop_collection(name)
        self.checkpoint_path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ verify
    def verify(self) -> VerifyReport:
        """Per collection: documents matched by ``_id`` and BSON hash, an order-free checksum, the indexes."""
        report = VerifyReport(kind=self.kind)
        units = list(self._units())
        bar = self.progress(total=len(units), desc="verify mongo", unit="coll")
        try:
            for spec, name, options in units:
                unit = self._unit_name(spec, name)
                if "viewOn" in options:
                    report.notes.append(f"{unit}: a view (DocumentDB has none); not copied, not compared")
                    bar.update(1)
                    continue
                report.rows.append(self._verify_collection(spec, name, unit, report.problems))
                bar.update(1)
        finally:
            bar.close()
        for spec in self.databases:
            source_names = {n for n, _ in self._collections(self.source_client, spec)}
            for name, _ in self._collections(self.target_client, spec, target=True):
                if name not in source_names and not spec.collections:
                    report.notes.append(
                        f"{spec.target}.{name}: exists only on the target (not part of this move)"
                    )
        return report

    def _hashes(self, collection: Any) -> tuple[dict[bytes, tuple[int, Any]], int]:
        import bson

        hashes: dict[bytes, tuple[int, Any]] = {}
        size = 0
        for document in collection.find({}):
            raw = bson.encode(document)
            size += len(raw)
            hashes[id_key(document["_id"])] = (
                int.from_bytes(hashlib.sha256(raw).digest()[:8], "big"),
                document["_id"],
            )
        return hashes, size

    def _verify_collection(self, spec: DatabaseSpec, name: str, unit: str, problems: list[str]) -> VerifyRow:
        source_coll = self.source_client[spec.name][name]
        target_coll = self.target_client[spec.target][name]
        source, size = self._hashes(source_coll)
        target, _ = self._hashes(target_coll)
        missing = [k for k in source if k not in target]
        changed = [k for k in source if k in target and source[k][0] != target[k][0]]
        extra = [k for k in target if k not in source]
        row = VerifyRow(
            unit,
            len(source),
            len(target),
            len(source) - len(missing) - len(changed),
            len(missing),
            len(changed),
            len(extra),
            collection_checksum(h for h, _ in source.values()),
            collection_checksum(h for h, _ in target.values()),
            size,
        )
        for label, keys, side in (
            ("missing", missing, source),
            ("changed", changed, source),
            ("extra", extra, target),
        ):
            if keys:
                shown = ", ".join(id_text(side[k][1]) for k in keys[: self.max_problems])
                problems.append(
                    f"{unit}: {len(keys)} {label} "
                    f"(_id {shown}{' …' if len(keys) > self.max_problems else ''})"
                )
        source_indexes = dict(normalize_index(n, s) for n, s in self._indexes(source_coll).items())
        target_indexes = dict(normalize_index(n, s) for n, s in self._indexes(target_coll).items())
        for index in sorted(set(source_indexes) | set(target_indexes)):
            if index not in target_indexes:
                problems.append(f"{unit}: index {index} missing on the target")
            elif index not in source_indexes:
                problems.append(f"{unit}: index {index} exists only on the target")
            elif source_indexes[index] != target_indexes[index]:
                problems.append(
                    f"{unit}: index {index} differs: {source_indexes[index]} vs {target_indexes[index]}"
                )
        return row


def _discover_docdb_endpoint(params: Any) -> str | None:
    """The cluster endpoint moto reports for a DocumentDB cluster (the only one), or None."""
    from runbook_lib.clients import aws_client

    try:
        docdb = aws_client("docdb", params.aws, max_attempts=1, connect_timeout=2)
        clusters = [
            c
            for c in docdb.describe_db_clusters().get("DBClusters", [])
            if c.get("Engine") == "docdb" and c.get("Endpoint")
        ]
    except Exception as error:  # noqa: BLE001 - no cluster yet is normal before phase 2
        log.info("cannot list DocumentDB clusters: %s", type(error).__name__)
        return None
    if len(clusters) != 1:
        return None
    return f"{clusters[0]['Endpoint']}:{clusters[0].get('Port', 27017)}"


__all__ = [
    "MongoMigrator",
    "DatabaseSpec",
    "DocumentDbRules",
    "evaluate_collection",
    "find_operators",
    "doc_hash64",
    "collection_checksum",
    "write_batch",
    "resume_filter",
    "type_bracket",
    "normalize_index",
    "index_key_size",
    "id_key",
]
