"""The cutover's typed steps (freeze, final sync, verify again, switch, unfreeze) and the rollback's (switch back,
unfreeze the source, prove it serves). Each step says what must hold before it runs (its gate) and returns
what it did in one line; :mod:`runbook_lib.cutover.sequence` times, gates and records them.

Why one class per step: the table an auditor reads lists the same names the code runs, and a test can run one
step against the sandbox alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from runbook_lib.cutover.freeze import freeze, postgres_databases, probe, source_fingerprint, unfreeze
from runbook_lib.cutover.switch import Binding, EndpointSwitch
from runbook_lib.errors import CutoverError

log = logging.getLogger("runbook_lib.cutover.steps")


@dataclass
class CutoverContext:
    """What the steps share: the migrators by kind, the switch, each pipeline's binding, the fingerprints taken."""

    migrators: dict[str, Any]
    switch: EndpointSwitch
    bindings: dict[str, Binding] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: topic -> end offset reader for the kafka kind (None: no Kafka pipeline).
    kafka_offsets: Callable[[], dict[str, int]] | None = None

    def binding(self, kind: str) -> Binding:
        if kind not in self.bindings:
            from runbook_lib.cutover.switch import binding_for

            self.bindings[kind] = binding_for(kind, self.migrator(kind))
        return self.bindings[kind]

    def migrator(self, kind: str) -> Any:
        try:
            return self.migrators[kind]
        except KeyError:
            raise CutoverError(f"no migrator for pipeline {kind!r}",
                               hint=f"known here: {', '.join(sorted(self.migrators))}") from None

    def fingerprint(self, kind: str) -> str:
        return source_fingerprint(kind, self.migrator(kind), kafka_offsets=self.kafka_offsets)


def _point(ctx: CutoverContext, kinds: list[str], side: str) -> str:
    """Every pipeline's parameter names ``side`` (written and read back)."""
    records = [ctx.switch.point(ctx.binding(kind), side) for kind in kinds]
    return "; ".join(f"{r.parameter} -> {side} v{r.version} (was {r.previous_side}; {r.endpoint})" for r in records)


def _unfreeze(ctx: CutoverContext, kinds: list[str], side: str) -> str:
    """PostgreSQL on ``side`` takes writes again (proven by an accepted write); producers run."""
    notes = []
    for kind in kinds:
        if kind == "postgres":
            for pair in postgres_databases(ctx.migrator(kind)):
                db = pair[0] if side == "source" else pair[1]
                notes.append(unfreeze(db).detail + f" on {db.describe()}")
    notes.append(f"producers {ctx.switch.set_producers('running').side}")
    return "; ".join(notes)


class Step:
    """One step of a wave; subclasses set ``name``/``gate`` and implement :meth:`run`."""

    name: ClassVar[str] = "step"
    gate: ClassVar[str] = ""

    def __init__(self, kinds: list[str]) -> None:
        self.kinds = list(kinds)

    def run(self, ctx: CutoverContext) -> str:
        raise NotImplementedError


class FreezeSource(Step):
    """PostgreSQL sources read-only (proven by a refused write); producers paused; other sources fingerprinted."""

    name = "freeze writes on the source"
    gate = "sign-off complete"

    def run(self, ctx: CutoverContext) -> str:
        notes = [f"producers {ctx.switch.set_producers('paused').side} ({ctx.switch.parameter('producers')})"]
        for kind in self.kinds:
            if kind == "postgres":
                for source, _ in postgres_databases(ctx.migrator(kind)):
                    notes.append(freeze(source).detail + f" on {source.describe()}")
            else:
                ctx.fingerprints[kind] = ctx.fingerprint(kind)
                notes.append(f"{kind} source fingerprint {ctx.fingerprints[kind][:12]}")
        return "; ".join(notes)


class FinalSync(Step):
    """The migrator's resumable copy once more: what changed since the bulk copy moves now."""

    name = "final incremental sync"
    gate = "source frozen"

    def run(self, ctx: CutoverContext) -> str:
        notes = []
        for kind in self.kinds:
            report = ctx.migrator(kind).copy(resume=True)
            notes.append(f"{kind}: {report.items_copied} copied, {report.items_skipped} already there "
                         f"({report.seconds:.1f} s)")
        return "; ".join(notes)


class VerifyAgain(Step):
    """Content verification of the target against the frozen source; non-PostgreSQL sources unchanged since freeze."""

    name = "verify again"
    gate = "final sync done"

    def run(self, ctx: CutoverContext) -> str:
        from runbook_lib.migrate.base import verification_error

        notes = []
        for kind in self.kinds:
            report = ctx.migrator(kind).verify()
            if not report.ok:
                raise verification_error(kind, report)
            matched = sum(r.matched for r in report.rows)
            notes.append(f"{kind}: {len(report.rows)} units, {matched} items equal")
            if kind in ctx.fingerprints:
                now = ctx.fingerprint(kind)
                if now != ctx.fingerprints[kind]:
                    raise CutoverError(f"the {kind} source changed after the freeze ({now[:12]} != "
                                       f"{ctx.fingerprints[kind][:12]}): a producer is still writing",
                                       hint="find the writer, pause it, and run the wave again")
                notes[-1] += ", source unchanged since the freeze"
        return "; ".join(notes)


class SwitchEndpoints(Step):
    """Each pipeline's consumers now read the target's endpoint (parameter written and read back)."""

    name = "switch endpoints"
    gate = "verification green, source unchanged"

    def run(self, ctx: CutoverContext) -> str:
        return _point(ctx, self.kinds, "target")


class UnfreezeTarget(Step):
    """The target takes writes (PostgreSQL: proven by an accepted write); producers resume, now onto the target."""

    name = "unfreeze on the target"
    gate = "consumers switched"

    def run(self, ctx: CutoverContext) -> str:
        return _unfreeze(ctx, self.kinds, "target")


CUTOVER_STEPS: tuple[type[Step], ...] = (FreezeSource, FinalSync, VerifyAgain, SwitchEndpoints, UnfreezeTarget)


# ------------------------------------------------------------------------------------------------ rollback
class SwitchBack(Step):
    """Consumers read the source's endpoint again."""

    name = "switch back to the source"
    gate = "rollback asked for"

    def run(self, ctx: CutoverContext) -> str:
        return _point(ctx, self.kinds, "source")


class UnfreezeSource(Step):
    """The source takes writes again (PostgreSQL: RESET, proven by an accepted write); producers run."""

    name = "unfreeze the source"
    gate = "consumers switched back"

    def run(self, ctx: CutoverContext) -> str:
        return _unfreeze(ctx, self.kinds, "source")


class ProveSourceServes(Step):
    """Reads answer on every source, writes succeed on PostgreSQL, and the parameters name the source."""

    name = "prove the source serves"
    gate = "source unfrozen"

    def run(self, ctx: CutoverContext) -> str:
        notes = []
        for kind in self.kinds:
            side = (ctx.switch.read(kind) or {}).get("side")
            if side != "source":
                raise CutoverError(f"{ctx.switch.parameter(kind)} names {side!r}, not the source")
            migrator = ctx.migrator(kind)
            if kind == "postgres":
                for source, _ in postgres_databases(migrator):
                    result = probe(source)
                    if not (result.writable and result.readable):
                        raise CutoverError(f"{source.describe()} does not serve: {result.detail}")
                    notes.append(f"postgres: {result.detail}")
            else:
                ctx.fingerprint(kind)  # lists/counts/reads every unit of the source: it answers
                notes.append(f"{kind}: source answers reads")
        return "; ".join(notes)


ROLLBACK_STEPS: tuple[type[Step], ...] = (SwitchBack, UnfreezeSource, ProveSourceServes)
