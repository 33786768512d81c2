"""Several migrators of one kind run as one, for params that list several databases.

Why: ``runbook migrate postgres`` builds its migrator with ``from_params`` and expects one object,
but the params may map several databases, each with its own source and target. The group runs
each member's check, copy and verify in turn and merges the reports, prefixing every finding
object and verify unit with the member's label, so nothing one member found is lost.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypedDict, Unpack

from runbook_lib.migrate import base
from runbook_lib.migrate.base import Migrator, ProgressFactory


class MigratorGroup(Migrator):
    """Members run one after another; reports are merged, labelled per member."""

    kind = "group"

    def __init__(
        self,
        kind: str,
        members: Sequence[tuple[str, Migrator]],
        *,
        checkpoint_dir: Path,
        progress: ProgressFactory | None = None,
    ) -> None:
        super().__init__(checkpoint_dir=checkpoint_dir, progress=progress)
        # The members' kind, so reports and evidence read as that kind.
        self.kind = kind  # type: ignore[misc]
        self.members = list(members)

    def target_identity(self) -> str:
        return "; ".join(f"{label}={member.target_identity()}" for label, member in self.members)

    def carry_forward(self, old_dir: Path) -> None:
        for _, member in self.members:
            member.carry_forward(old_dir)

    def source_size_bytes(self) -> int:
        """The members' source sizes summed (each member must offer ``source_size_bytes``)."""
        total = 0
        for _, member in self.members:
            total += int(member.source_size_bytes())  # type: ignore[attr-defined]
        return total

    def check(self) -> base.CheckReport:
        report = base.CheckReport(kind=self.kind)
        for label, member in self.members:
            for finding in member.check().findings:
                report.findings.append(
                    base.Finding(finding.severity, f"{label}/{finding.object}", finding.message, finding.fix)
                )
        return report

    def copy(self, *, resume: bool = True) -> base.CopyReport:
        report = base.CopyReport(kind=self.kind)
        for label, member in self.members:
            part = member.copy(resume=resume)
            report.items_copied += part.items_copied
            report.bytes_copied += part.bytes_copied
            report.items_skipped += part.items_skipped
            report.seconds += part.seconds
            report.details[label] = part.details
        return report

    def verify(self) -> base.VerifyReport:
        report = base.VerifyReport(kind=self.kind)
        for label, member in self.members:
            part = member.verify()
            report.rows.extend(
                base.VerifyRow(**{**row.__dict__, "unit": f"{label}/{row.unit}"}) for row in part.rows
            )
            report.problems.extend(f"{label}/{problem}" for problem in part.problems)
            report.notes.extend(f"{label}/{note}" for note in getattr(part, "notes", []))
        return report


class BuildOptions(TypedDict, total=False):
    """The keywords of ``Migrator.from_params`` after params and sandbox state, typed once for every kind.

    ``checkpoint_dir``: where checkpoints go (:func:`runbook_lib.migrate.base.default_checkpoint_dir` when None);
    ``progress``: a tqdm-like factory (tqdm.auto when None).
    """

    checkpoint_dir: Path | None
    progress: ProgressFactory | None


class MappedBuildOptions(BuildOptions, total=False):
    """:class:`BuildOptions` of a :class:`MappedMigrator`, plus ``target_endpoint``: the target address AWS
    reports (an RDS instance or DocumentDB cluster endpoint), instead of the one the sandbox discovers."""

    target_endpoint: str | None


def check_build_options(options: Mapping[str, Any], typed: type) -> None:
    """Refuse a keyword ``typed`` does not declare, as explicit keywords would (a typo must not become a default)."""
    unknown = sorted(set(options) - set(typed.__annotations__) - set(BuildOptions.__annotations__))
    if unknown:
        raise TypeError(f"from_params() got unexpected keyword arguments: {', '.join(unknown)}")


@dataclass(frozen=True)
class MemberOptions:
    """What ``from_params`` hands each member it builds: where checkpoints go, the progress factory, and
    the target address AWS reports (an RDS instance or DocumentDB cluster endpoint; None: found by the kind)."""

    checkpoint_dir: Path
    progress: ProgressFactory | None
    target_endpoint: str | None


Members = list[tuple[str, Migrator]]


class MappedMigrator(Migrator):
    """A kind whose params section maps several sources to targets: one member per mapping (PostgreSQL and MongoDB:
    per database; Kafka: per source/target cluster pair, with that pair's topics), a group when several.

    Why: the kinds built their members differently but wrapped them the same way; the wrapping (checkpoint
    folder, one member or a :class:`MigratorGroup`) lives here once.
    """

    #: The keywords ``from_params`` takes; a kind without a target address to override says :class:`BuildOptions`.
    build_options: ClassVar[type] = MappedBuildOptions

    @classmethod
    def from_params(cls, params: Any, sandbox_state: Any | None, **options: Unpack[MappedBuildOptions]) -> Migrator:
        """As ``Migrator.from_params``; ``target_endpoint`` overrides the target address the sandbox discovers."""
        check_build_options(options, cls.build_options)
        base_dir = options.get("checkpoint_dir") or base.default_checkpoint_dir(params.env, cls.kind)
        progress = options.get("progress")
        member_options = MemberOptions(base_dir, progress, options.get("target_endpoint"))
        members = cls.members_from_params(params, sandbox_state, member_options)
        if len(members) == 1:
            return members[0][1]
        return MigratorGroup(cls.kind, members, checkpoint_dir=base_dir, progress=progress)

    @classmethod
    @abc.abstractmethod
    def members_from_params(cls, params: Any, sandbox_state: Any | None, options: MemberOptions) -> Members:
        """One ``(label, migrator)`` per mapping of the kind's params section (at least one, else ParamsError)."""
