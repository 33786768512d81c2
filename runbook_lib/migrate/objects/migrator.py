"""Objects: an S3-compatible store (MinIO) -> Amazon S3, streamed, checksummed and resumable.

:class:`S3Migrator` coordinates, per bucket pair: the check (:mod:`.checks`), the target's
checksum capabilities (:mod:`.checksums`), the copy (:mod:`.copy_run`) with its checkpoint
journal (:mod:`.journal`), and the verify (:mod:`.verify`). Each of those modules says why it
works the way it does.

The source is only ever listed and read: the source client is used for ListObjectsV2, GetObject,
HeadObject, HeadBucket and GetBucket* calls only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar, Unpack
from urllib.parse import urlparse

from runbook_lib.errors import CopyFailedError, ParamsError
from runbook_lib.migrate._group import BuildOptions, check_build_options
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Migrator,
    ProgressFactory,
    VerifyReport,
    VerifyRow,
    default_checkpoint_dir,
)
from runbook_lib.migrate.objects.checks import check_bucket, flag_objects, note_target_settings, path_advice
from runbook_lib.migrate.objects.checksums import TargetCapabilities, probe_capabilities
from runbook_lib.migrate.objects.client import bulk_clients
from runbook_lib.migrate.objects.copy_run import CopyRun, abort_stale_uploads, abort_unjournaled_uploads
from runbook_lib.migrate.objects.journal import Journal, JournalEntry, JournalState
from runbook_lib.migrate.objects.listing import BucketPair, ListedObject, list_both, list_objects
from runbook_lib.migrate.objects.sizes import DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, MIN_PART_SIZE
from runbook_lib.migrate.objects.verify import VERIFY_MODES, PairVerify

log = logging.getLogger("runbook_lib.migrate.objects.migrator")


class S3Migrator(Migrator):
    """Copy buckets of an S3-compatible store into Amazon S3 and prove the copy by checksum.

    Args:
        source_client: boto3 S3 client for the source (MinIO); only read from.
        target_client: boto3 S3 client for the target (AWS, or the sandbox's moto).
        mappings: ``BucketPair``s or ``(source_bucket, target_bucket, prefix)`` tuples.
        checkpoint_dir: where the per-pair journals live.
        workers: objects copied (and verified) at the same time.
        progress: tqdm-like factory.
        part_size: multipart part size (>= 8 MiB recommended; S3's floor is 5 MiB).
        multipart_threshold: objects of at least this size are copied in parts (default: ``part_size``).
        part_concurrency: parts of one object uploaded at the same time while the next part is read.
        verify_mode: ``auto`` (``listing`` where the target validated our checksum or reported the
            MD5 of each write, else ``deep``), ``listing``, ``checksum`` (HeadObject per object) or
            ``deep`` (always re-read the target); see :mod:`.verify`.
        target_capabilities: skip the capability probe and use these (tests, known stores).
        journal_batch: journal lines per fsync.
        max_reported: how many problem keys ``verify()`` lists.
        at_scale_threshold_bytes: when set, ``check()`` says whether the DataSync path is advised.
    """

    kind: ClassVar[str] = "s3"

    def __init__(
        self,
        source_client: Any,
        target_client: Any,
        mappings: Iterable[BucketPair | tuple[str, str, str] | tuple[str, str]],
        *,
        checkpoint_dir: Path,
        workers: int = 4,
        progress: ProgressFactory | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        multipart_threshold: int | None = None,
        part_concurrency: int = 2,
        verify_mode: str = "auto",
        target_capabilities: TargetCapabilities | None = None,
        journal_batch: int = 100,
        max_reported: int = 20,
        at_scale_threshold_bytes: int | None = None,
    ) -> None:
        super().__init__(checkpoint_dir=checkpoint_dir, workers=workers, progress=progress)
        if part_size < MIN_PART_SIZE:
            raise ParamsError("part_size", part_size, f">= {MIN_PART_SIZE} (S3's minimum part size)")
        if verify_mode not in VERIFY_MODES:
            raise ParamsError("verify_mode", verify_mode, VERIFY_MODES)
        self.source = source_client
        self.target = target_client
        self.mappings = [m if isinstance(m, BucketPair) else BucketPair(*m) for m in mappings]
        if not self.mappings:
            raise ParamsError("mappings", [], "at least one (source_bucket, target_bucket, prefix)")
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold or part_size
        self.part_concurrency = max(1, part_concurrency)
        self.verify_mode = verify_mode
        self.journal_batch = journal_batch
        self.max_reported = max_reported
        self.at_scale_threshold_bytes = at_scale_threshold_bytes
        self._caps_override = target_capabilities
        self._caps: dict[str, TargetCapabilities] = {}
        #: Bytes the last ``check()`` listed in the source (the input of the path choice).
        self.checked_bytes: int | None = None

    def target_identity(self) -> str:
        """The target endpoint and buckets (an owner stamp's target; no credentials)."""
        endpoint = getattr(getattr(self.target, "meta", None), "endpoint_url", "") or "s3"
        return f"{endpoint} " + ",".join(sorted({p.target_bucket for p in self.mappings}))

    @classmethod
    def from_params(cls, params: Any, sandbox_state: Any | None, **options: Unpack[BuildOptions]) -> S3Migrator:
        """Build from ``params.migration.s3`` (see ``Migrator.from_params``; the clients: ``client.bulk_clients``)."""
        check_build_options(options, BuildOptions)
        migration = params.migration
        if not migration.s3:
            raise ParamsError("migration.s3", [], "at least one bucket mapping (source_bucket, target_bucket, prefix)")
        pairs = [BucketPair(m.source_bucket, m.target_bucket, m.prefix) for m in migration.s3]
        workers = migration.workers
        part_concurrency = 2
        source, target = bulk_clients(params, sandbox_state, pool=workers * (part_concurrency + 1) + 2)
        return cls(
            source,
            target,
            pairs,
            checkpoint_dir=options.get("checkpoint_dir") or default_checkpoint_dir(params.env, cls.kind),
            workers=workers,
            progress=options.get("progress"),
            part_concurrency=part_concurrency,
            multipart_threshold=DEFAULT_MULTIPART_THRESHOLD,
            verify_mode=migration.s3_verify_mode,
            at_scale_threshold_bytes=migration.at_scale_threshold_bytes,
        )

    # ------------------------------------------------------------------ check
    def check(self) -> CheckReport:
        """Buckets reachable, target settings noted, size estimate, keys S3 would reject. Writes nothing."""
        report = CheckReport(kind=self.kind)
        findings = report.findings
        total_objects = total_bytes = 0
        for pair in self.mappings:
            source_ok = check_bucket(self.source, pair.source_bucket, "source", findings)
            target_ok = check_bucket(self.target, pair.target_bucket, "target", findings)
            if target_ok:
                note_target_settings(self.target, pair.target_bucket, findings)
            if not source_ok:
                continue
            objects = list_objects(self.source, pair.source_bucket, pair.prefix)
            total_objects += len(objects)
            total_bytes += sum(o.size for o in objects.values())
            flag_objects(pair, objects, self.max_reported, findings)
        self.checked_bytes = total_bytes
        if self.at_scale_threshold_bytes:
            findings.append(path_advice(total_objects, total_bytes, self.at_scale_threshold_bytes))
        return report

    def source_size_bytes(self, *, refresh: bool = False) -> int:
        """Bytes to move (every pair's listed source objects): the input of the DataSync/direct choice.

        Reuses what the last ``check()`` listed unless ``refresh``; listing is the only way to know
        with the S3 API (MinIO has no bucket-size call in it).
        """
        if self.checked_bytes is None or refresh:
            self.checked_bytes = sum(
                o.size for m in self.mappings for o in list_objects(self.source, m.source_bucket, m.prefix).values()
            )
        return self.checked_bytes

    # ------------------------------------------------------------------ capabilities
    def capabilities(self, bucket: str) -> TargetCapabilities:
        """What the target does with checksums (probed once per bucket unless it is Amazon S3)."""
        if self._caps_override is not None:
            return self._caps_override
        if bucket not in self._caps:
            host = urlparse(getattr(self.target.meta, "endpoint_url", "") or "").hostname or ""
            if host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
                self._caps[bucket] = TargetCapabilities(checksum_api=True, validates_checksums=True)
            else:
                self._caps[bucket] = probe_capabilities(self.target, bucket)
            log.info("target %s checksum capabilities: %s", bucket, self._caps[bucket])
        return self._caps[bucket]

    # ------------------------------------------------------------------ journal
    def journal_path(self, pair: BucketPair) -> Path:
        return self.checkpoint_dir / f"{pair.slug}.jsonl"

    def journal_entries(self, pair: BucketPair) -> dict[str, JournalEntry]:
        """The verified objects recorded for ``pair`` (latest entry per key)."""
        return JournalState.load(Journal(self.journal_path(pair))).done

    # ------------------------------------------------------------------ copy
    def copy(self, *, resume: bool = True) -> CopyReport:
        """Copy every pair; objects verified by an earlier run are skipped when ``resume``.

        Raises:
            CopyFailedError: some objects failed (after the SDK's retries); all others are
                copied and checkpointed, so a resumed run retries only the failed ones.
        """
        started = time.monotonic()
        report = CopyReport(kind=self.kind, details={"buckets": {}})
        failed: dict[str, str] = {}
        failed_units: list[str] = []
        for pair in self.mappings:
            stats, failures = self._copy_pair(pair, resume)
            report.details["buckets"][pair.unit] = stats
            report.items_copied += stats["copied"]
            report.bytes_copied += stats["bytes"]
            report.items_skipped += stats["skipped"]
            if failures:
                failed_units.append(pair.unit)
                failed.update({f"{pair.source_bucket}/{key}": why for key, why in failures.items()})
        report.seconds = time.monotonic() - started
        if failed:
            error = CopyFailedError(self.kind, ", ".join(failed_units), failed, report.items_copied)
            error.report = report  # type: ignore[attr-defined] - evidence of what did move
            raise error
        return report

    def _copy_pair(self, pair: BucketPair, resume: bool) -> tuple[dict[str, Any], dict[str, str]]:
        journal = Journal(self.journal_path(pair), batch=self.journal_batch)
        if not resume:
            journal.reset()
        state = JournalState.load(journal)
        caps = self.capabilities(pair.target_bucket)
        with journal:
            aborted = abort_stale_uploads(self.target, pair, state, journal)
            source, target = list_both(self.source, self.target, pair)
            todo: list[ListedObject] = []
            skipped = 0
            for obj in source.values():
                entry = state.done.get(obj.key)
                landed = target.get(obj.key)
                if (
                    entry is not None
                    and landed is not None
                    and entry.matches_source(obj)
                    and entry.matches_target(landed)
                ):
                    skipped += 1
                else:
                    todo.append(obj)
            if resume and todo:
                aborted += abort_unjournaled_uploads(self.target, pair, {o.key for o in todo}, journal)
            # Large objects first: they bound the total time, small ones fill the gaps.
            todo.sort(key=lambda o: -o.size)
            run = CopyRun(
                source=self.source,
                target=self.target,
                pair=pair,
                caps=caps,
                journal=journal,
                progress=self.progress,
                workers=self.workers,
                part_concurrency=self.part_concurrency,
                part_size=self.part_size,
                multipart_threshold=self.multipart_threshold,
            )
            copied, nbytes, failed = run.execute(todo)
        stats = {
            "source_objects": len(source),
            "to_copy": len(todo),
            "copied": copied,
            "bytes": nbytes,
            "skipped": skipped,
            "failed": len(failed),
            "aborted_uploads": aborted,
            "journal": str(self.journal_path(pair)),
            "capabilities": asdict(caps),
        }
        log.info("%s: %s", pair.unit, stats)
        return stats, failed

    # ------------------------------------------------------------------ verify
    def verify(self) -> VerifyReport:
        """Per pair: objects, bytes, verified, missing, mismatched (size, checksum or metadata), extra."""
        report = VerifyReport(kind=self.kind)
        for pair in self.mappings:
            row, problems = self._verify_pair(pair)
            report.rows.append(row)
            report.problems.extend(problems[: max(0, self.max_reported - len(report.problems))])
        return report

    def verify_mode_for(self, bucket: str) -> str:
        if self.verify_mode != "auto":
            return self.verify_mode
        return "listing" if self.capabilities(bucket).confirms_writes else "deep"

    def _verify_pair(self, pair: BucketPair) -> tuple[VerifyRow, list[str]]:
        source, target = list_both(self.source, self.target, pair)
        verifier = PairVerify(
            source=self.source,
            target=self.target,
            pair=pair,
            entries=self.journal_entries(pair),
            mode=self.verify_mode_for(pair.target_bucket),
            validates_checksums=lambda: self.capabilities(pair.target_bucket).validates_checksums,
            workers=self.workers,
            progress=self.progress,
        )
        return verifier.run(source, target)
