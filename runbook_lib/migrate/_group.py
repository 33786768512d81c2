"""Several migrators of one kind run as one, for params that list several databases.

Why: ``runbook migrate postgres`` builds its migrator with ``from_params`` and expects one object,
but the params may map several databases, each with its own source and target. The group runs
each member's check, copy and verify in turn and merges the reports, prefixing every finding
object and verify unit with the member's label, so nothing one member found is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Finding,
    Migrator,
    ProgressFactory,
    VerifyReport,
    VerifyRow,
)


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

    def check(self) -> CheckReport:
        report = CheckReport(kind=self.kind)
        for label, member in self.members:
            for finding in member.check().findings:
                report.findings.append(
                    Finding(finding.severity, f"{label}/{finding.object}", finding.message, finding.fix)
                )
        return report

    def copy(self, *, resume: bool = True) -> CopyReport:
        report = CopyReport(kind=self.kind)
        for label, member in self.members:
            part = member.copy(resume=resume)
            report.items_copied += part.items_copied
            report.bytes_copied += part.bytes_copied
            report.items_skipped += part.items_skipped
            report.seconds += part.seconds
            report.details[label] = part.details
        return report

    def verify(self) -> VerifyReport:
        report = VerifyReport(kind=self.kind)
        for label, member in self.members:
            part = member.verify()
            report.rows.extend(
                VerifyRow(**{**row.__dict__, "unit": f"{label}/{row.unit}"}) for row in part.rows
            )
            report.problems.extend(f"{label}/{problem}" for problem in part.problems)
            report.notes.extend(f"{label}/{note}" for note in getattr(part, "notes", []))
        return report
