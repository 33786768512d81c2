"""The sandbox's one mock: mongomock behind the pymongo API, kept in files so other processes see writes.

This tests the shim itself; it is not a MongoDB server and the README says so.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from bson import Decimal128, Int64, ObjectId

from runbook_lib.clients import mongo_client
from runbook_lib.errors import ParamsError

pytestmark = pytest.mark.unit


def test_writes_are_visible_to_a_new_client_with_types_and_indexes(tmp_path: Path) -> None:
    url = f"mongomock://{tmp_path}/store"
    first = mongo_client(url)
    oid = ObjectId()
    first["db"]["c"].insert_many(
        [
            {"_id": oid, "n": Int64(2**40), "d": Decimal128("1.10"), "at": datetime.datetime(2026, 1, 2, 3, 4, 5)},
            {"_id": 2, "nested": {"a": [1, {"b": None}]}},
        ]
    )
    first["db"]["c"].create_index([("n", 1)], unique=True, name="n_unique")
    second = mongo_client(url)
    docs = {d["_id"]: d for d in second["db"]["c"].find({})}
    assert isinstance(docs[oid]["n"], int) and docs[oid]["n"] == 2**40
    assert docs[oid]["d"] == Decimal128("1.10")
    assert docs[oid]["at"] == datetime.datetime(2026, 1, 2, 3, 4, 5)
    assert docs[2]["nested"] == {"a": [1, {"b": None}]}
    info = second["db"]["c"].index_information()
    assert info["n_unique"]["unique"] is True


def test_deletes_and_drops_persist(tmp_path: Path) -> None:
    url = f"mongomock://{tmp_path}"
    client = mongo_client(url)
    client["db"]["c"].insert_many([{"_id": i} for i in range(10)])
    client["db"]["c"].delete_many({"_id": {"$lt": 5}})
    assert mongo_client(url)["db"]["c"].count_documents({}) == 5
    client["db"].drop_collection("c")
    assert mongo_client(url)["db"].list_collection_names() == []


def test_capped_flag_is_kept_for_compatibility_checks(tmp_path: Path) -> None:
    url = f"mongomock://{tmp_path}"
    mongo_client(url)["db"].create_collection("log", capped=True, size=4096)
    assert mongo_client(url)["db"]["log"].options()["capped"] is True


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ParamsError) as caught:
        mongo_client("redis://x")
    assert "mongodb" in str(caught.value.allowed) and "mongomock" in str(caught.value.allowed)
