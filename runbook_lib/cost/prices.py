"""The price table: ``prices/*.json`` rows, one per (resource type, price dimension, variant, region).

Why a table in the repo and not a pricing API: the estimate must run offline, before a gate, with no API key, and
say exactly which price it used (the row's effective date and source URL go into the evidence). A price that is
not in the table is never guessed and never zero: the estimate lists the line as "not priced".

The rows were transcribed by hand from the public AWS price pages named in ``source_url`` (list prices, on-demand,
first tier); ``effective_date`` is the date they were read. Check them against the source before relying on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from runbook_lib.errors import CostError

PRICES_DIR = Path(__file__).resolve().parent / "prices"
NO_CHARGE_FILE = Path(__file__).resolve().parent / "no_charge.json"
#: Hours in a billing month, as AWS's own calculators count them.
HOURS_PER_MONTH = 730.0
_FIELDS = ("service", "resource_type", "dimension", "variant", "unit", "usd", "region", "effective_date", "source_url")


@dataclass(frozen=True)
class PriceRow:
    """One price: ``usd`` per ``unit`` of ``dimension`` for ``resource_type`` (``variant``: instance class …)."""

    service: str
    resource_type: str
    dimension: str
    variant: str
    unit: str
    usd: float
    region: str
    effective_date: str
    source_url: str


@dataclass(frozen=True)
class PriceTable:
    """Every row of ``prices/*.json``, keyed for lookup, plus the types that have no charge of their own."""

    rows: tuple[PriceRow, ...]
    no_charge: dict[str, str]

    def find(self, resource_type: str, dimension: str, variant: str = "", *, region: str) -> PriceRow | None:
        """The row for this type, dimension and variant in ``region``; a row with an empty variant matches any."""
        fallback = None
        for row in self.rows:
            if row.resource_type != resource_type or row.dimension != dimension or row.region != region:
                continue
            if row.variant == variant:
                return row
            if row.variant == "":
                fallback = row
        return fallback

    @property
    def types(self) -> frozenset[str]:
        """Resource types with at least one price row."""
        return frozenset(row.resource_type for row in self.rows)

    @property
    def effective_date(self) -> str:
        """The newest effective date in the table (what the README and charts quote)."""
        return max((row.effective_date for row in self.rows), default="")

    @property
    def regions(self) -> frozenset[str]:
        return frozenset(row.region for row in self.rows)


def _row(data: dict, where: str) -> PriceRow:
    missing = [f for f in _FIELDS if f not in data]
    if missing:
        raise CostError(f"{where}: price row without {', '.join(missing)}", hint=f"each row needs {', '.join(_FIELDS)}")
    try:
        usd = float(data["usd"])
    except (TypeError, ValueError):
        raise CostError(f"{where}: usd {data['usd']!r} is not a number") from None
    if usd < 0:
        raise CostError(f"{where}: usd {usd} is negative")
    return PriceRow(**{**{f: str(data[f]) for f in _FIELDS if f != "usd"}, "usd": usd})


def load_price_table(prices_dir: Path | None = None, no_charge_file: Path | None = None) -> PriceTable:
    """Read every ``*.json`` of ``prices_dir`` (default: the table shipped with the runbook).

    Raises:
        CostError: a file is not a JSON list of complete rows.
    """
    folder = prices_dir or PRICES_DIR
    return _load(str(folder), str(no_charge_file or NO_CHARGE_FILE))


@lru_cache(maxsize=4)
def _load(folder: str, no_charge_file: str) -> PriceTable:
    rows: list[PriceRow] = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise CostError(f"{path.name} is not valid JSON: {error}") from None
        if not isinstance(data, list):
            raise CostError(f"{path.name} must hold a JSON list of price rows")
        rows.extend(_row(item, f"{path.name}[{i}]") for i, item in enumerate(data))
    no_charge_path = Path(no_charge_file)
    no_charge = json.loads(no_charge_path.read_text(encoding="utf-8")) if no_charge_path.is_file() else {}
    return PriceTable(rows=tuple(rows), no_charge=dict(no_charge))


__all__ = ["HOURS_PER_MONTH", "PRICES_DIR", "PriceRow", "PriceTable", "load_price_table"]
