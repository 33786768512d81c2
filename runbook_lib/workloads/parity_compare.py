"""Compare one job output written by two runs: row counts, schema, partitions, and rows by key (datacompy).

Why these four: a match rate alone hides a dropped column or a partition written under another name;
a schema check alone hides wrong values. The outputs are read with pyarrow (not ``toPandas``: no JVM
round trip, and no dependence on pyspark's pandas bridge, which predates pandas 3), hive partition
folders becoming columns, then joined on the job's keys with per-column absolute tolerances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.workloads.spark_catalog import JobOutput

MAX_KEYS_SHOWN = 20


@dataclass(frozen=True)
class KeyMismatch:
    """One key that does not match: only on one side, or present on both with different values."""

    key: dict[str, Any]
    where: str  # "only platform" | "only deployed" | "values differ"
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutputParity:
    """The comparison of one output: every check, and the keys that failed (at most ``MAX_KEYS_SHOWN``)."""

    argument: str
    keys: tuple[str, ...]
    rows_platform: int
    rows_deployed: int
    matching_rows: int
    match_rate: float
    min_match_rate: float
    schema_platform: tuple[tuple[str, str], ...]
    schema_deployed: tuple[tuple[str, str], ...]
    partitions_only_platform: tuple[str, ...]
    partitions_only_deployed: tuple[str, ...]
    partition_count: int
    mismatched_columns: tuple[str, ...]
    mismatches: tuple[KeyMismatch, ...] = field(default_factory=tuple)
    mismatch_count: int = 0

    @property
    def rows_equal(self) -> bool:
        return self.rows_platform == self.rows_deployed

    @property
    def schema_equal(self) -> bool:
        return self.schema_platform == self.schema_deployed

    @property
    def partitions_equal(self) -> bool:
        return not self.partitions_only_platform and not self.partitions_only_deployed

    @property
    def match_rate_ok(self) -> bool:
        return self.match_rate >= self.min_match_rate

    @property
    def ok(self) -> bool:
        return self.rows_equal and self.schema_equal and self.partitions_equal and self.match_rate_ok

    def why(self) -> str:
        """The failed checks in a few words ("" when green)."""
        reasons = []
        if not self.rows_equal:
            reasons.append(f"rows {self.rows_platform} vs {self.rows_deployed}")
        if not self.schema_equal:
            reasons.append("schema differs")
        if not self.partitions_equal:
            extra, missing = len(self.partitions_only_deployed), len(self.partitions_only_platform)
            reasons.append(f"partitions differ (+{extra}/-{missing})")
        if not self.match_rate_ok:
            reasons.append(f"match rate {self.match_rate:.4f} < {self.min_match_rate}")
        return "; ".join(reasons)


def partitions(root: Path, partition_by: tuple[str, ...]) -> set[str]:
    """The partition folders holding data files, as ``col=value/...`` relative paths."""
    if not partition_by:
        return {""} if any(root.glob("*.parquet")) else set()
    pattern = "/".join(f"{column}=*" for column in partition_by)
    return {str(p.relative_to(root)) for p in root.glob(pattern) if p.is_dir() and any(p.glob("*.parquet"))}


def read_output(root: Path) -> tuple[Any, tuple[tuple[str, str], ...]]:
    """The output as a pandas frame (partition columns as strings) and its schema as (column, arrow type)."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    if not root.is_dir() or not any(root.rglob("*.parquet")):
        return None, ()
    dataset = ds.dataset(str(root), format="parquet", partitioning="hive")
    table = dataset.to_table()
    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns]
    table = pa.table(dict(zip(table.column_names, columns, strict=True)))
    schema = tuple((f.name, str(f.type)) for f in table.schema)
    return table.to_pandas(), schema


def compare_output(output: JobOutput, platform_dir: Path, deployed_dir: Path) -> OutputParity:
    """Every check of one output between the platform's run and the deployed run."""
    import datacompy
    import pandas as pd

    left, left_schema = read_output(platform_dir)
    right, right_schema = read_output(deployed_dir)
    parts_left = partitions(platform_dir, output.partition_by)
    parts_right = partitions(deployed_dir, output.partition_by)
    left = left if left is not None else pd.DataFrame({k: [] for k in output.keys})
    right = right if right is not None else pd.DataFrame({k: [] for k in output.keys})
    if len(left) == 0 and len(right) == 0:
        matching, mismatches, columns, count = 0, [], (), 0
        rate = 1.0
    else:
        compare = datacompy.PandasCompare(left, right, join_columns=list(output.keys), abs_tol=dict(output.tolerance),
                                          df1_name="platform", df2_name="deployed", cast_column_names_lower=False)
        matching = int(compare.count_matching_rows())
        rate = matching / max(len(left), len(right))
        mismatches, count = _mismatches(compare, output.keys)
        columns = tuple(sorted(compare.columns_with_mismatches())) if len(compare.intersect_rows) else ()
    return OutputParity(
        argument=output.argument, keys=output.keys, rows_platform=len(left), rows_deployed=len(right),
        matching_rows=matching, match_rate=rate, min_match_rate=output.min_match_rate,
        schema_platform=left_schema, schema_deployed=right_schema,
        partitions_only_platform=tuple(sorted(parts_left - parts_right)),
        partitions_only_deployed=tuple(sorted(parts_right - parts_left)),
        partition_count=len(parts_left | parts_right), mismatched_columns=columns,
        mismatches=tuple(mismatches), mismatch_count=count,
    )


def _mismatches(compare: Any, keys: tuple[str, ...]) -> tuple[list[KeyMismatch], int]:
    """The keys that failed, first ``MAX_KEYS_SHOWN`` of them, and how many there are in all."""
    found: list[KeyMismatch] = []
    total = 0
    for frame, where in ((compare.df1_unq_rows, "only platform"), (compare.df2_unq_rows, "only deployed")):
        total += len(frame)
        for record in frame[list(keys)].head(MAX_KEYS_SHOWN).to_dict("records"):
            found.append(KeyMismatch(key=_plain(record), where=where))
    if len(compare.intersect_rows):
        differing = compare.all_mismatch()
        total += len(differing)
        columns = tuple(sorted(compare.columns_with_mismatches()))
        for record in differing[list(keys)].head(MAX_KEYS_SHOWN).to_dict("records"):
            found.append(KeyMismatch(key=_plain(record), where="values differ", columns=columns))
    return found[:MAX_KEYS_SHOWN], total


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()}
