"""Terraform's machine-readable UI (``-json``): diagnostics, state-lock errors, and apply progress.

Why parse the JSON stream and not the text: ``plan -json`` and ``apply -json``
write one JSON object per line (``apply_start``, ``apply_complete``,
``apply_errored``, ``diagnostic``, ``change_summary`` …, documented at
https://developer.hashicorp.com/terraform/internals/machine-readable-ui), so
per-resource status, durations and the errors tied to an address come for
free, and a progress bar can move as each resource finishes.

The one place text is read is a state-lock conflict: Terraform reports the
holder of the lock only inside the diagnostic's ``detail`` (a ``Lock Info:``
block of ``Key: value`` lines, the same in ``-json`` and plain output, for
every backend). :func:`parse_lock_info` reads that block; it also accepts the
block as JSON, the form the local backend stores in ``.terraform.tfstate.lock.info``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

log = logging.getLogger("runbook_lib.terraform.messages")

LOCK_SUMMARY_MARKERS = ("error acquiring the state lock", "error locking state")


@dataclass(frozen=True)
class Diagnostic:
    """One ``diagnostic`` message: an error or warning, tied to a resource address when Terraform knows it."""

    severity: str
    summary: str
    detail: str = ""
    address: str | None = None
    filename: str | None = None
    line: int | None = None

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> Diagnostic:
        diag = message.get("diagnostic") or {}
        rng = diag.get("range") or {}
        return cls(
            severity=str(diag.get("severity", "error")),
            summary=str(diag.get("summary", message.get("@message", ""))),
            detail=str(diag.get("detail", "")),
            address=diag.get("address"),
            filename=rng.get("filename"),
            line=(rng.get("start") or {}).get("line"),
        )

    def one_line(self) -> str:
        where = f" ({self.address})" if self.address else ""
        first = self.detail.strip().splitlines()[0] if self.detail.strip() else ""
        return f"{self.severity}: {self.summary}{where}" + (f": {first}" if first else "")

    @property
    def is_lock_error(self) -> bool:
        text = self.summary.lower()
        return any(marker in text for marker in LOCK_SUMMARY_MARKERS)


def parse_json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a ``-json`` stream; lines that are not JSON objects are skipped."""
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        message = parse_json_line(line)
        if message is not None:
            out.append(message)
    return out


def parse_json_line(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        log.debug("not a JSON UI line: %s", line[:200])
        return None
    return value if isinstance(value, dict) else None


def diagnostics_of(messages: Iterable[Mapping[str, Any]]) -> list[Diagnostic]:
    return [Diagnostic.from_message(m) for m in messages if m.get("type") == "diagnostic"]


# ----------------------------------------------------------------------------------------------
# State lock
# ----------------------------------------------------------------------------------------------
def parse_lock_info(text: str) -> dict[str, str]:
    """The lock holder from a lock-conflict message: ``{"ID": …, "Who": …, "Operation": …, …}``.

    Args:
        text: the diagnostic ``detail`` (``-json``) or Terraform's stderr.

    Returns:
        The fields found (empty if the text holds no ``Lock Info:`` block).
    """
    marker = text.find("Lock Info:")
    if marker < 0:
        return {}
    rest = text[marker + len("Lock Info:") :]
    stripped = rest.lstrip()
    if stripped.startswith("{"):
        try:
            decoded, _ = json.JSONDecoder().raw_decode(stripped)
            return {str(k): "" if v is None else str(v) for k, v in decoded.items()}
        except json.JSONDecodeError:
            pass
    info: dict[str, str] = {}
    for line in rest.splitlines():
        if not line.strip():
            if info:
                break  # the block ends at the first blank line after it started
            continue
        key, sep, value = line.strip().partition(":")
        if not sep or " " in key.strip():
            break
        info[key.strip()] = value.strip()
    return info


def find_lock_conflict(messages: Iterable[Mapping[str, Any]], stderr: str = "") -> dict[str, str] | None:
    """Lock info if the run failed on a state lock held by someone else, else None.

    Looks at ``-json`` diagnostics first, then stderr (commands run without ``-json``).
    """
    for diag in diagnostics_of(messages):
        if diag.is_lock_error:
            return parse_lock_info(diag.detail) or {"Info": diag.detail}
    lowered = stderr.lower()
    if any(marker in lowered for marker in LOCK_SUMMARY_MARKERS):
        return parse_lock_info(stderr) or {"Info": stderr.strip()[-500:]}
    return None


# ----------------------------------------------------------------------------------------------
# Apply progress
# ----------------------------------------------------------------------------------------------
def parse_timestamp(value: str | None) -> datetime | None:
    """Terraform's ``@timestamp`` (RFC 3339, up to nanoseconds) as an aware datetime."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:
        head, _, frac_tz = text.partition(".")
        end = len(frac_tz) - len(frac_tz.lstrip("0123456789"))
        digits, tz = frac_tz[:end], frac_tz[end:]
        text = f"{head}.{digits[:6].ljust(6, '0')}{tz}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class ResourceApplyStatus:
    """What happened to one resource action during apply (a replace has a delete and a create)."""

    address: str
    action: str
    status: str  # "complete" | "errored" | "started"
    elapsed_s: float | None = None
    id_value: str | None = None
    error: str | None = None


@dataclass
class _Pending:
    address: str
    action: str
    started: datetime | None
    status: str = "started"
    elapsed_s: float | None = None
    id_value: str | None = None
    error: str | None = None


@dataclass
class ApplyStream:
    """Consume an ``apply -json`` stream line by line, keeping per-resource status.

    ``on_progress(done, status)`` is called after each ``apply_complete`` or
    ``apply_errored``, which is what drives the progress bar.
    """

    on_progress: Callable[[int, ResourceApplyStatus], None] | None = None
    on_start: Callable[[str, str], None] | None = None
    messages_seen: int = 0
    _pending: dict[tuple[str, str], _Pending] = field(default_factory=dict)
    _order: list[tuple[str, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    change_summary: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    done: int = 0

    def feed_line(self, line: str) -> None:
        message = parse_json_line(line)
        if message is not None:
            self.feed(message)

    def feed(self, message: Mapping[str, Any]) -> None:
        self.messages_seen += 1
        kind = message.get("type")
        if kind == "diagnostic":
            diag = Diagnostic.from_message(message)
            self.diagnostics.append(diag)
            if diag.severity == "error":
                self._attach_error(diag)
            self.messages.append(dict(message))
            return
        if kind == "change_summary":
            self.change_summary = dict(message.get("changes") or {})
            return
        if kind == "outputs":
            self.outputs = dict(message.get("outputs") or {})
            return
        if kind not in ("apply_start", "apply_complete", "apply_errored"):
            return
        hook = message.get("hook") or {}
        address = (hook.get("resource") or {}).get("addr", "?")
        action = str(hook.get("action", "?"))
        key = (address, action)
        when = parse_timestamp(message.get("@timestamp"))
        if kind == "apply_start":
            self._pending[key] = _Pending(address, action, when)
            self._order.append(key)
            if self.on_start is not None:
                self.on_start(address, action)
            return
        pending = self._pending.get(key)
        if pending is None:
            pending = _Pending(address, action, None)
            self._pending[key] = pending
            self._order.append(key)
        pending.status = "complete" if kind == "apply_complete" else "errored"
        measured = (when - pending.started).total_seconds() if when and pending.started else None
        reported = hook.get("elapsed_seconds")
        pending.elapsed_s = (
            measured if measured is not None else (float(reported) if reported is not None else None)
        )
        pending.id_value = hook.get("id_value")
        self.done += 1
        if self.on_progress is not None:
            self.on_progress(self.done, self._freeze(pending))

    def _attach_error(self, diag: Diagnostic) -> None:
        """Tie an error to the resource it is about (by address; else to the only errored one)."""
        errored = [self._pending[k] for k in reversed(self._order) if self._pending[k].status == "errored"]
        if diag.address:
            candidates = [p for p in errored if p.address == diag.address]
        else:
            unexplained = [p for p in errored if p.error is None]
            candidates = unexplained if len(unexplained) == 1 else []
        if candidates:
            target = candidates[0]
            target.error = diag.one_line() if target.error is None else f"{target.error}; {diag.one_line()}"

    @staticmethod
    def _freeze(p: _Pending) -> ResourceApplyStatus:
        return ResourceApplyStatus(p.address, p.action, p.status, p.elapsed_s, p.id_value, p.error)

    def statuses(self) -> tuple[ResourceApplyStatus, ...]:
        """Every resource action seen, in the order it started."""
        return tuple(self._freeze(self._pending[key]) for key in self._order)

    def lock_conflict(self) -> dict[str, str] | None:
        return find_lock_conflict(self.messages)


def statuses_frame(statuses: Iterable[ResourceApplyStatus]) -> pd.DataFrame:
    rows = list(statuses)
    return pd.DataFrame(
        {
            "address": [s.address for s in rows],
            "action": [s.action for s in rows],
            "status": [s.status for s in rows],
            "elapsed_s": [s.elapsed_s for s in rows],
            "id": [s.id_value for s in rows],
            "error": [s.error for s in rows],
        }
    )
