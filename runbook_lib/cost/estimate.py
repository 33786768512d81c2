"""The offline monthly estimate of a saved plan: per resource, per module, per stack, and what is not priced.

What Infracost does, without its API: every resource the plan leaves in place (create, update, replace, no-op) is
priced by its rule (:mod:`.rules`) against the price table (:mod:`.prices`), with usage quantities from the params'
usage profile. Nothing is ever priced at zero by default: a type without rule or row, a usage quantity the profile
does not give, or an attribute known only after apply makes a "not priced" line with the reason, and the totals say
how many lines they leave out. Types with no charge of their own (IAM, security groups …) are listed as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from runbook_lib.cost.prices import PriceTable, load_price_table
from runbook_lib.cost.rules import RULES, Charge, PlannedResource
from runbook_lib.terraform.plan import ROOT_MODULE, Plan

#: Plan actions after which the resource exists (and costs money).
EXISTING_ACTIONS = frozenset({"create", "update", "replace", "no-op"})
PRICED, NOT_PRICED, NO_CHARGE = "priced", "not priced", "no charge"
#: Why a line is not priced; only the first two count against the price table's coverage.
NO_RULE, NO_ROW, NO_USAGE, UNKNOWN = "no-rule", "no-price-row", "no-usage", "unknown-until-apply"


@dataclass(frozen=True)
class EstimateLine:
    """One priced (or not priced) dimension of one resource, per month."""

    stack: str
    address: str
    module: str
    type: str
    dimension: str
    variant: str
    quantity: float | None
    unit: str
    usd_per_unit: float | None
    monthly_usd: float | None
    status: str
    reason: str = ""
    reason_kind: str = ""
    basis: str = ""
    effective_date: str = ""
    source_url: str = ""


@dataclass(frozen=True)
class Coverage:
    """How much of the plan's chargeable resource types the price table prices."""

    chargeable_types: tuple[str, ...]
    covered_types: tuple[str, ...]

    @property
    def uncovered_types(self) -> tuple[str, ...]:
        return tuple(t for t in self.chargeable_types if t not in self.covered_types)

    @property
    def share(self) -> float:
        return len(self.covered_types) / len(self.chargeable_types) if self.chargeable_types else 1.0


@dataclass
class PlanEstimate:
    """The monthly estimate of one stack's plan (or of several, :func:`combine`)."""

    stack: str
    region: str
    usage_profile: str | None
    price_date: str
    lines: list[EstimateLine] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        """The sum of the priced lines (the not-priced ones are listed, never counted as zero)."""
        return round(sum(line.monthly_usd or 0.0 for line in self.lines if line.status == PRICED), 2)

    @property
    def not_priced(self) -> list[EstimateLine]:
        return [line for line in self.lines if line.status == NOT_PRICED]

    def coverage(self) -> Coverage:
        """Chargeable types (not in the no-charge list) and those with no missing rule or price row."""
        # A no-charge-list type has one line with dimension "-"; a priced type's free line (a gateway endpoint)
        # still counts as chargeable: its rule prices the other variants.
        listed_free = {line.type for line in self.lines if line.status == NO_CHARGE and line.dimension == "-"}
        chargeable = sorted({line.type for line in self.lines} - listed_free)
        gaps = {line.type for line in self.lines if line.reason_kind in (NO_RULE, NO_ROW)}
        return Coverage(tuple(chargeable), tuple(t for t in chargeable if t not in gaps))

    # -- tables ------------------------------------------------------------------------------------------------
    def lines_frame(self) -> pd.DataFrame:
        columns = [f for f in EstimateLine.__dataclass_fields__]
        return pd.DataFrame([asdict(line) for line in self.lines], columns=columns)

    def _group(self, by: list[str]) -> pd.DataFrame:
        frame = self.lines_frame()
        if frame.empty:
            return pd.DataFrame(columns=[*by, "monthly_usd", "not_priced_lines"])
        frame["priced_usd"] = frame["monthly_usd"].where(frame["status"] == PRICED, 0.0).astype(float)
        frame["np"] = (frame["status"] == NOT_PRICED).astype(int)
        out = frame.groupby(by, sort=False).agg(monthly_usd=("priced_usd", "sum"), not_priced_lines=("np", "sum"))
        out["monthly_usd"] = out["monthly_usd"].round(2)
        return out.reset_index().sort_values("monthly_usd", ascending=False, kind="stable").reset_index(drop=True)

    def by_resource(self) -> pd.DataFrame:
        return self._group(["stack", "module", "address", "type"])

    def by_module(self) -> pd.DataFrame:
        return self._group(["stack", "module"])

    def by_stack(self) -> pd.DataFrame:
        return self._group(["stack"])

    def by_type(self) -> pd.DataFrame:
        return self._group(["type"])

    def not_priced_frame(self) -> pd.DataFrame:
        frame = self.lines_frame()
        return frame[frame["status"] == NOT_PRICED][["stack", "address", "type", "dimension", "variant", "reason"]]

    def summary(self) -> dict[str, Any]:
        """What a gate record carries: totals, coverage, the not-priced lines (no attribute values)."""
        cov = self.coverage()
        return {
            "stack": self.stack,
            "monthly_usd": self.total_usd,
            "region": self.region,
            "usage_profile": self.usage_profile,
            "price_table_date": self.price_date,
            "resources": len({line.address for line in self.lines}),
            "priced_lines": sum(1 for line in self.lines if line.status == PRICED),
            "not_priced": [
                {"address": line.address, "dimension": line.dimension, "reason": line.reason}
                for line in self.not_priced
            ],
            "type_coverage": round(cov.share, 4),
            "uncovered_types": list(cov.uncovered_types),
        }


def planned_resources(plan: Plan) -> list[PlannedResource]:
    """Managed resources the plan leaves in place, with their ``after`` attributes."""
    out = []
    for rc in plan.resource_changes.values():
        if rc.mode != "managed" or rc.action not in EXISTING_ACTIONS or rc.deposed:
            continue
        after = rc.after if isinstance(rc.after, Mapping) else {}
        out.append(PlannedResource(rc.address, rc.module_address or ROOT_MODULE, rc.type, after))
    return out


def estimate_resources(
    resources: Iterable[PlannedResource],
    *,
    stack: str,
    region: str,
    usage: Mapping[str, float] | None = None,
    usage_profile: str | None = None,
    table: PriceTable | None = None,
) -> PlanEstimate:
    """Price ``resources`` (see the module docstring); ``usage`` is the profile's quantities."""
    table = table or load_price_table()
    usage = dict(usage or {})
    resources = list(resources)
    modules: dict[str, list[PlannedResource]] = {}
    for res in resources:
        modules.setdefault(res.module, []).append(res)
    estimate = PlanEstimate(stack=stack, region=region, usage_profile=usage_profile, price_date=table.effective_date)
    for res in resources:
        base = {"stack": stack, "address": res.address, "module": res.module, "type": res.type}
        if res.type in table.no_charge:
            estimate.lines.append(EstimateLine(**base, dimension="-", variant="", quantity=None, unit="",
                                               usd_per_unit=None, monthly_usd=0.0, status=NO_CHARGE,
                                               reason=table.no_charge[res.type]))
            continue
        rule = RULES.get(res.type)
        if rule is None:
            estimate.lines.append(EstimateLine(**base, dimension="-", variant="", quantity=None, unit="",
                                               usd_per_unit=None, monthly_usd=None, status=NOT_PRICED,
                                               reason=f"no price rule or row for {res.type}", reason_kind=NO_RULE))
            continue
        for charge in rule(res, modules[res.module]):
            estimate.lines.append(_price(charge, base, table, region, usage, usage_profile))
    return estimate


def _price(charge: Charge, base: dict[str, str], table: PriceTable, region: str, usage: Mapping[str, float],
           profile: str | None) -> EstimateLine:
    def line(**kw: Any) -> EstimateLine:
        values = {"dimension": charge.dimension, "variant": charge.variant, "quantity": None, "unit": "",
                  "usd_per_unit": None, "monthly_usd": None, "basis": charge.unit_note, **kw}
        return EstimateLine(**base, **values)

    if charge.free:
        return line(quantity=0.0, monthly_usd=0.0, status=NO_CHARGE, reason=charge.unit_note)
    if charge.unknown:
        return line(status=NOT_PRICED, reason=f"{charge.unknown} is known only after apply (or absent)",
                    reason_kind=UNKNOWN)
    row = table.find(base["type"], charge.dimension, charge.variant, region=region)
    if row is None:
        what = f"{base['type']} {charge.dimension}" + (f" {charge.variant}" if charge.variant else "")
        return line(status=NOT_PRICED, reason=f"no price row for {what} in {region}", reason_kind=NO_ROW)
    quantity = charge.quantity
    if charge.usage:
        missing = [key for key in charge.usage if key not in usage]
        if missing:
            reason = (f"usage profile {profile!r} has no {', '.join(missing)}" if profile
                      else f"no usage profile chosen (cost.usage_profile): {', '.join(missing)} unknown")
            return line(unit=row.unit, usd_per_unit=row.usd, status=NOT_PRICED, reason_kind=NO_USAGE,
                        reason=reason, effective_date=row.effective_date,
                        source_url=row.source_url)
        quantity = charge.factor
        for key in charge.usage:
            quantity *= float(usage[key])
    if quantity is None:
        return line(status=NOT_PRICED, reason="no quantity", reason_kind=UNKNOWN)
    return line(quantity=round(quantity, 6), unit=row.unit, usd_per_unit=row.usd,
                monthly_usd=round(quantity * row.usd, 4), status=PRICED, effective_date=row.effective_date,
                source_url=row.source_url, basis=charge.unit_note or (", ".join(charge.usage) if charge.usage else ""))


def estimate_plan(plan: Plan, *, stack: str, region: str, usage: Mapping[str, float] | None = None,
                  usage_profile: str | None = None, table: PriceTable | None = None) -> PlanEstimate:
    """The estimate of one saved plan (see :func:`estimate_resources`)."""
    return estimate_resources(planned_resources(plan), stack=stack, region=region, usage=usage,
                              usage_profile=usage_profile, table=table)


def combine(estimates: Iterable[PlanEstimate], *, name: str = "platform") -> PlanEstimate:
    """Several stacks' estimates as one (the whole target platform)."""
    estimates = list(estimates)
    if not estimates:
        return PlanEstimate(stack=name, region="", usage_profile=None, price_date="")
    first = estimates[0]
    merged = PlanEstimate(stack=name, region=first.region, usage_profile=first.usage_profile,
                          price_date=first.price_date)
    for item in estimates:
        merged.lines.extend(item.lines)
    return merged




def estimate_from_params(plan: Plan, *, stack: str, params: Any, profile: str | None = None) -> PlanEstimate:
    """The estimate with the params' price region (``cost.price_region`` or ``aws.region``) and usage profile."""
    cost = params.cost
    name = profile or cost.usage_profile
    return estimate_plan(plan, stack=stack, region=cost.price_region or params.aws.region,
                         usage=cost.profile(name) if name else {}, usage_profile=name)


__all__ = ["Coverage", "EstimateLine", "PlanEstimate", "combine", "estimate_from_params", "estimate_plan",
           "estimate_resources", "planned_resources"]
