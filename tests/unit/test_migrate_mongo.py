"""MongoDB -> DocumentDB: compatibility rules on crafted specs, hashes, the migrator on two in-process stores.

The stores are the sandbox's file-backed mongomock (``mongomock://`` through ``mongo_client``), in a
temporary folder: no server, no sandbox processes.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from bson import Decimal128, ObjectId
from fakes import quiet_progress

import runbook_lib
from runbook_lib.clients import mongo_client
from runbook_lib.migrate.mongo import (
    DatabaseSpec,
    DocumentDbRules,
    MongoMigrator,
    collection_checksum,
    doc_hash64,
    evaluate_collection,
    find_operators,
    index_key_size,
    normalize_index,
    resume_filter,
    type_bracket,
)
from runbook_lib.migrate.mongo import copy as mongo_copy

pytestmark = pytest.mark.unit

RULES = DocumentDbRules.load()


def _objects(findings) -> dict[str, list]:
    out: dict[str, list] = {}
    for finding in findings:
        out.setdefault(finding.object, []).append(finding)
    return out




# ----------------------------------------------------------------------------- rules


def test_the_data_file_names_its_sources_and_the_known_gaps() -> None:
    raw = json.loads((Path(runbook_lib.__file__).parent / "data" / "documentdb_unsupported.json").read_text())
    assert any("docs.aws.amazon.com/documentdb" in s for s in raw["sources"])
    assert {"$where", "$function", "$accumulator"} <= RULES.unsupported_operators
    assert "$graphLookup" in RULES.unsupported_stages
    assert {"hashed", "wildcard"} <= RULES.unsupported_index_types
    assert RULES.limits["max_document_bytes"] == 16 * 1024 * 1024


def test_find_operators_walks_nested_filters_and_pipelines() -> None:
    validator = {"$and": [{"a": {"$gt": 1}}, {"$expr": {"$function": {"body": "x", "args": ["$a"]}}}]}
    assert find_operators(validator) == {
        "$and",
        "$gt",
        "$expr",
        "$function",
    }  # "$a" is a path, not an operator


def test_a_plain_collection_with_ordinary_indexes_passes() -> None:
    indexes = {
        "_id_": {"key": [("_id", 1)]},
        "u": {"key": [("email", 1)], "unique": True},
        "ttl": {"key": [("expires", 1)], "expireAfterSeconds": 0},
        "p": {"key": [("a", 1)], "partialFilterExpression": {"a": {"$gt": 5}, "b": {"$exists": True}}},
        "geo": {"key": [("loc", "2dsphere")]},
    }
    assert evaluate_collection("db", "users", {}, indexes, RULES) == []


def test_views_are_blockers_and_name_their_unsupported_stages() -> None:
    options = {
        "viewOn": "people",
        "pipeline": [{"$graphLookup": {"from": "people"}}, {"$match": {"$where": "1"}}],
    }
    [finding] = evaluate_collection("db", "org_chart", options, {}, RULES)
    assert finding.severity == "blocker" and "no views" in finding.message
    assert "$graphLookup" in finding.message and "$where" in finding.message


def test_collection_options_that_documentdb_lacks() -> None:
    options = {
        "capped": True,
        "size": 4096,
        "collation": {"locale": "fr", "strength": 2},
        "validator": {"$or": [{"$where": "this.a > 1"}, {"$expr": {"$gt": ["$a", 1]}}]},
    }
    findings = evaluate_collection("db", "log", options, {"_id_": {"key": [("_id", 1)]}}, RULES)
    messages = [(f.severity, f.message) for f in findings]
    assert any(s == "blocker" and "capped" in m for s, m in messages)
    assert any(s == "blocker" and "collation" in m for s, m in messages)
    assert any(s == "blocker" and "$where" in m for s, m in messages)
    assert any(s == "warning" and "$expr" in m for s, m in messages)


def test_index_types_and_options_that_documentdb_lacks() -> None:
    indexes = {
        "h": {"key": [("user", "hashed")]},
        "w": {"key": [("$**", 1)]},
        "t": {"key": [("_fts", "text"), ("_ftsx", 1)], "default_language": "spanish"},
        "t2": {"key": [("body", "text")]},
        "ci": {"key": [("name", 1)], "collation": {"locale": "en", "strength": 2}},
        "pf": {"key": [("a", 1)], "partialFilterExpression": {"$or": [{"a": 1}, {"b": {"$in": [1, 2]}}]}},
        "x" * 70: {"key": [("z", 1)]},
    }
    found = _objects(evaluate_collection("db", "c", {}, indexes, RULES))
    assert "hashed" in found["db.c index h"][0].message
    assert "wildcard" in found["db.c index w"][0].message
    assert "default_language" in found["db.c index t"][0].message
    assert "collation" in found["db.c index ci"][0].message
    assert "$or" in found["db.c index pf"][0].message and "$in" in found["db.c index pf"][0].message
    assert "index name" in found[f"db.c index {'x' * 70}"][0].message
    assert "one per collection" in found["db.c"][0].message
    assert all(f.severity == "blocker" for fs in found.values() for f in fs)


def test_name_length_limits() -> None:
    found = _objects(evaluate_collection("db", "c" * 60, {}, {}, RULES))
    assert found[f"db.{'c' * 60}"][0].severity == "blocker"


def test_index_key_size_takes_the_largest_multikey_entry() -> None:
    document = {"a": {"b": ["x", "y" * 3000]}, "c": 1}
    assert index_key_size(document, [("a.b", 1)]) > 2048
    assert index_key_size(document, [("c", 1)]) < 16
    assert index_key_size(document, [("missing", 1)]) == 0


# ----------------------------------------------------------------------------- hashes and ordering


def test_document_hash_sees_field_order_and_types() -> None:
    assert doc_hash64({"_id": 1, "a": 1, "b": 2}) != doc_hash64({"_id": 1, "b": 2, "a": 1})
    assert doc_hash64({"_id": 1, "a": 1}) != doc_hash64({"_id": 1, "a": 1.0})
    assert doc_hash64({"_id": 1, "a": 1}) == doc_hash64({"_id": 1, "a": 1})


def test_collection_checksum_is_order_independent() -> None:
    hashes = [doc_hash64({"_id": i}) for i in range(10)]
    assert collection_checksum(hashes) == collection_checksum(reversed(hashes))
    assert collection_checksum(hashes[:-1]) != collection_checksum(hashes)


def test_resume_filter_continues_into_later_bson_types(tmp_path: Path) -> None:
    coll = mongo_client(f"mongomock://{tmp_path}")["db"]["c"]
    oid = ObjectId("6b0857d6b5f7580aa9181723")
    coll.insert_many(
        [
            {"_id": 1},
            {"_id": 2.5},
            {"_id": "a"},
            {"_id": "b"},
            {"_id": oid},
            {"_id": datetime.datetime(2026, 1, 1)},
        ]
    )
    assert type_bracket(True) > type_bracket(oid) > type_bracket("a") > type_bracket(2.5)
    largest = datetime.datetime(2026, 1, 1)
    after_first_string = [d["_id"] for d in coll.find(resume_filter("a", largest), sort=[("_id", 1)])]
    assert after_first_string == ["b", oid, largest]
    after_number = [d["_id"] for d in coll.find(resume_filter(2.5, largest), sort=[("_id", 1)])]
    assert after_number == ["a", "b", oid, largest]
    assert resume_filter("a", "z") == {"_id": {"$gt": "a"}}  # one type: the plain, index-friendly form


def test_normalize_index_ignores_bookkeeping_only() -> None:
    a = normalize_index("ttl", {"key": [("e", 1)], "expireAfterSeconds": 0, "v": 2, "ns": "db.c"})
    b = normalize_index("ttl", {"key": [("e", 1)], "expireAfterSeconds": 0, "v": 1})
    c = normalize_index("ttl", {"key": [("e", 1)], "expireAfterSeconds": 60})
    assert a == b and a != c


# ----------------------------------------------------------------------------- the migrator on two stores


def _seed(client) -> None:
    db = client["shop"]
    db["people"].insert_many(
        [
            {
                "_id": ObjectId(),
                "email": f"u{i}@x.org",
                "n": i,
                "price": Decimal128(f"{i}.10"),
                "tags": ["a", "b"][: i % 3],
                "nested": {"k": i, "l": [i, {"m": None}]},
            }
            for i in range(57)
        ]
    )
    db["people"].create_index([("email", 1)], unique=True, name="email_unique")
    db["people"].create_index([("n", 1), ("email", -1)], name="n_email")
    db["sessions"].insert_many(
        [{"_id": f"s{i:03d}", "at": datetime.datetime(2099, 11, 1) + datetime.timedelta(minutes=i)} for i in range(23)]
    )
    db["sessions"].create_index([("at", 1)], expireAfterSeconds=3600, name="at_ttl")


@pytest.fixture()
def stores(tmp_path: Path):
    source_url, target_url = f"mongomock://{tmp_path}/source", f"mongomock://{tmp_path}/target"
    _seed(mongo_client(source_url))
    return source_url, target_url, tmp_path / "checkpoints"


def _migrator(source_url: str, target_url: str, checkpoints: Path, **kwargs) -> MongoMigrator:
    return MongoMigrator(
        mongo_client(source_url),
        mongo_client(target_url),
        ["shop"],
        kwargs.pop("batch_size", 10),
        checkpoint_dir=checkpoints,
        progress=quiet_progress,
        **kwargs,
    )


def test_copy_then_verify_moves_documents_and_indexes(stores) -> None:
    source_url, target_url, checkpoints = stores
    result = _migrator(source_url, target_url, checkpoints).run()
    assert result.ok, (result.verify.problems, result.check.blockers)
    assert result.copy.items_copied == 80 and result.copy.details["indexes_created"] == 3
    rows = {r.unit: r for r in result.verify.rows}
    assert rows["shop.people"].matched == 57 and rows["shop.sessions"].matched == 23
    target = mongo_client(target_url)["shop"]
    info = target["people"].index_information()
    assert info["email_unique"]["unique"] is True and info["n_email"]["key"] == [("n", 1), ("email", -1)]
    assert target["sessions"].index_information()["at_ttl"]["expireAfterSeconds"] == 3600


def test_verify_finds_a_changed_a_missing_and_an_extra_document_and_a_lost_index(stores) -> None:
    source_url, target_url, checkpoints = stores
    _migrator(source_url, target_url, checkpoints).copy()
    target = mongo_client(target_url)["shop"]
    victim = target["people"].find_one({"n": 5})
    target["people"].update_one({"_id": victim["_id"]}, {"$set": {"nested.k": 999}})
    target["sessions"].delete_one({"_id": "s007"})
    target["sessions"].insert_one({"_id": "zz-extra"})
    target["people"].drop_index("n_email")
    report = _migrator(source_url, target_url, checkpoints).verify()
    rows = {r.unit: r for r in report.rows}
    assert (rows["shop.people"].mismatched, rows["shop.people"].missing) == (1, 0)
    assert (rows["shop.sessions"].missing, rows["shop.sessions"].extra) == (1, 1)
    assert rows["shop.people"].source_checksum != rows["shop.people"].target_checksum
    text = "\n".join(report.problems)
    assert str(victim["_id"]) in text and '"s007"' in text and "n_email missing" in text
    assert not report.ok


def test_a_copy_interrupted_mid_collection_resumes_without_duplicates(stores, monkeypatch) -> None:
    source_url, target_url, checkpoints = stores
    calls = {"n": 0}
    real = mongo_copy.write_batch

    def failing(collection, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            real(collection, batch[:4])  # half a batch lands, then the "crash"
            raise RuntimeError("killed")
        return real(collection, batch)

    monkeypatch.setattr(mongo_copy, "write_batch", failing)
    with pytest.raises(RuntimeError):
        _migrator(source_url, target_url, checkpoints).copy()
    monkeypatch.setattr(mongo_copy, "write_batch", real)
    state = json.loads(next(checkpoints.glob("mongo-*.json")).read_text())["collections"]["shop.people"]
    assert state["copied"] == 20 and not state["done"]
    migrator = _migrator(source_url, target_url, checkpoints)
    report = migrator.copy(resume=True)
    assert report.items_skipped == 20 and report.items_copied == 60
    verify = migrator.verify()
    assert verify.ok, verify.problems
    ids = [d["_id"] for d in mongo_client(target_url)["shop"]["people"].find({})]
    assert len(ids) == len(set(ids)) == 57


def test_capped_collection_is_a_blocker_and_check_writes_nothing(stores) -> None:
    source_url, target_url, checkpoints = stores
    source = mongo_client(source_url)
    source["shop"].create_collection("recent", capped=True, size=8192)
    source["shop"]["recent"].insert_one({"_id": 1})
    migrator = _migrator(source_url, target_url, checkpoints)
    report = migrator.check()
    assert [f.object for f in report.blockers] == ["shop.recent"]
    assert mongo_client(target_url).list_database_names() == []
    accepted = _migrator(source_url, target_url, checkpoints, accept=["shop.recent"]).check()
    assert accepted.ok


def test_renamed_database_and_collection_subset(stores) -> None:
    source_url, target_url, checkpoints = stores
    migrator = MongoMigrator(
        mongo_client(source_url),
        mongo_client(target_url),
        [DatabaseSpec("shop", "shop_v2", ("sessions",))],
        7,
        checkpoint_dir=checkpoints,
        progress=quiet_progress,
    )
    result = migrator.run()
    assert result.ok and [r.unit for r in result.verify.rows] == ["shop.sessions->shop_v2.sessions"]
    assert mongo_client(target_url)["shop_v2"].list_collection_names() == ["sessions"]
