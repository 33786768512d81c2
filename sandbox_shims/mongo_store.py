"""SHIM — the one mocked part of the sandbox: a file-backed MongoDB stand-in.

What it fakes: a MongoDB/DocumentDB server. No MongoDB-protocol server installs
from the registries this project can reach (Debian, PyPI and npm were checked),
so the sandbox uses ``mongomock`` (the pymongo API in-process) and keeps each
collection in a JSON file (MongoDB Extended JSON, canonical mode, so ObjectId,
datetime, Decimal128 and int64 survive) under the store folder. Every write
through the client is flushed to disk at once, so another process (the CLI,
a notebook kernel, a test) sees it, and a migrator killed with SIGKILL leaves
what it had written.

What it does not fake: the wire protocol, authentication, TLS, transactions,
concurrency between two writers of the same collection (last writer wins),
and server-side behaviour mongomock does not model. Library code reaches this
only through the ``runbook_lib.mongo_clients`` entry point for ``mongomock://``
URLs; it is written against the pymongo API and runs unchanged on MongoDB and
DocumentDB.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import mongomock
from bson import json_util

_JSON_OPTIONS = json_util.CANONICAL_JSON_OPTIONS

#: Collection methods that change data or indexes; each is followed by a flush.
WRITE_METHODS = frozenset(
    {
        "insert_one", "insert_many", "replace_one", "update_one", "update_many", "delete_one", "delete_many",
        "bulk_write", "find_one_and_delete", "find_one_and_replace", "find_one_and_update", "create_index",
        "create_indexes", "drop_index", "drop_indexes", "drop", "rename",
    }
)


class FileBackedStore:
    """A folder of ``<db>/<collection>.json`` files loaded into one mongomock client."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.client = mongomock.MongoClient()
        self._lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        for path in sorted(self.root.glob("*/*.json")):
            db_name, coll_name = path.parent.name, path.stem
            data = json_util.loads(path.read_text(), json_options=_JSON_OPTIONS)
            coll = self.client[db_name][coll_name]
            if data.get("documents"):
                coll.insert_many(data["documents"])
            for name, spec in data.get("indexes", {}).items():
                if name == "_id_":
                    continue
                options = {k: v for k, v in spec.items() if k in ("unique", "sparse", "expireAfterSeconds",
                                                                 "partialFilterExpression")}
                coll.create_index([(k, d) for k, d in spec["key"]], name=name, **options)
            if data.get("options", {}).get("capped"):
                self._capped[(db_name, coll_name)] = data["options"]

    @property
    def _capped(self) -> dict[tuple[str, str], dict[str, Any]]:
        if not hasattr(self, "_capped_store"):
            self._capped_store: dict[tuple[str, str], dict[str, Any]] = {}
        return self._capped_store

    def flush(self, db_name: str, coll_name: str) -> None:
        """Write one collection to its file atomically (tmp file + rename)."""
        with self._lock:
            db = self.client[db_name]
            path = self.root / db_name / f"{coll_name}.json"
            if coll_name not in db.list_collection_names():
                path.unlink(missing_ok=True)
                return
            coll = db[coll_name]
            indexes = {
                name: {"key": list(spec["key"]), **{k: v for k, v in spec.items() if k not in ("key", "v", "ns")}}
                for name, spec in coll.index_information().items()
            }
            payload = {
                "documents": list(coll.find({})),
                "indexes": indexes,
                "options": self._capped.get((db_name, coll_name), {}),
            }
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{coll_name}.", suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                handle.write(json_util.dumps(payload, json_options=_JSON_OPTIONS))
            os.replace(tmp, path)

    def set_capped(self, db_name: str, coll_name: str, size: int, max_docs: int | None = None) -> None:
        """Mark a collection as capped (mongomock ignores capping; the flag is kept for compatibility checks)."""
        self._capped[(db_name, coll_name)] = {"capped": True, "size": size, **({"max": max_docs} if max_docs else {})}
        self.flush(db_name, coll_name)


class _CollectionProxy:
    def __init__(self, store: FileBackedStore, db_name: str, coll: Any) -> None:
        self._store, self._db_name, self._coll = store, db_name, coll

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._coll, name)
        if name in WRITE_METHODS and callable(attr):
            def write(*args: Any, **kwargs: Any) -> Any:
                try:
                    return attr(*args, **kwargs)
                finally:
                    self._store.flush(self._db_name, self._coll.name)
            return write
        return attr

    def options(self) -> dict[str, Any]:
        return dict(self._store._capped.get((self._db_name, self._coll.name), {}))

    def __getitem__(self, name: str) -> Any:
        return _CollectionProxy(self._store, self._db_name, self._coll[name])


class _DatabaseProxy:
    def __init__(self, store: FileBackedStore, db: Any) -> None:
        self._store, self._db = store, db

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._db, name)
        if name == "drop_collection":
            def drop(coll: Any, *args: Any, **kwargs: Any) -> Any:
                coll_name = coll if isinstance(coll, str) else coll.name
                result = attr(coll_name, *args, **kwargs)
                self._store.flush(self._db.name, coll_name)
                return result
            return drop
        if name == "create_collection":
            def create(coll_name: str, **kwargs: Any) -> Any:
                capped = kwargs.pop("capped", False)
                size, max_docs = kwargs.pop("size", 0), kwargs.pop("max", None)
                coll = attr(coll_name, **kwargs)
                if capped:
                    self._store.set_capped(self._db.name, coll_name, size, max_docs)
                else:
                    self._store.flush(self._db.name, coll_name)
                return _CollectionProxy(self._store, self._db.name, coll)
            return create
        if name == "get_collection":
            return lambda coll_name, *a, **k: _CollectionProxy(self._store, self._db.name, attr(coll_name, *a, **k))
        return attr

    def __getitem__(self, name: str) -> _CollectionProxy:
        return _CollectionProxy(self._store, self._db.name, self._db[name])


class FileBackedMongoClient:
    """The pymongo-shaped client the library gets for a ``mongomock://`` URL."""

    def __init__(self, root: Path) -> None:
        self._store = FileBackedStore(root)
        self.address = ("mongomock", 0)

    def __getitem__(self, name: str) -> _DatabaseProxy:
        return _DatabaseProxy(self._store, self._store.client[name])

    def get_database(self, name: str, *args: Any, **kwargs: Any) -> _DatabaseProxy:
        return self[name]

    def list_database_names(self) -> list[str]:
        return self._store.client.list_database_names()

    def drop_database(self, name: str) -> None:
        for coll_name in self._store.client[name].list_collection_names():
            self._store.client[name].drop_collection(coll_name)
            self._store.flush(name, coll_name)

    def server_info(self) -> dict[str, Any]:
        return {"version": "mongomock " + mongomock.__version__, "ok": 1.0, "mocked": True}

    @property
    def admin(self) -> Any:
        return self._store.client.admin

    def close(self) -> None:
        """Nothing to do: every write was flushed when it was made."""

    def __enter__(self) -> FileBackedMongoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def path_from_url(url: str) -> Path:
    """``mongomock:///abs/path`` -> ``/abs/path``."""
    parsed = urlparse(url)
    if parsed.scheme != "mongomock":
        raise ValueError(f"not a mongomock:// URL: {url}")
    return Path(unquote(parsed.path))


def client_from_url(url: str, **_: Any) -> FileBackedMongoClient:
    """Entry point ``runbook_lib.mongo_clients: mongomock``."""
    return FileBackedMongoClient(path_from_url(url))


__all__ = ["FileBackedMongoClient", "client_from_url", "path_from_url", "WRITE_METHODS"]
