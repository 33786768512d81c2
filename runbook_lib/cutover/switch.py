"""Switching a pipeline: the SSM parameter its consumers read to find their endpoint, written and read back.

What "switch" means here, concretely: every consumer (the Glue/EMR jobs, the Airflow DAGs, the ingest Lambda,
the reporting services) resolves where its data lives from one SSM parameter per pipeline,
``<cutover.endpoint_parameter_prefix>/<kind>`` (``/runbook/<env>/endpoints/postgres`` …), whose value is JSON:
``{"side": "source"|"target", "endpoint": "<host:port/db or endpoint + buckets>", "switched_at": …}`` - never a
credential (those stay in Secrets Manager, referenced by the consumer's own configuration). The producers read
``<prefix>/producers`` (``running`` | ``paused``) before each send: the freeze pauses them there.

Why SSM and not DNS: a parameter is read back exactly (the switch is proven by a ``GetParameter`` equal to what
was written), has a version history (the rollback writes the previous side again, and the history shows both),
and moto implements it, so the sandbox exercises the same calls. Lambda alias weights for the ingest API are
another switch (``runbook_lib.cutover.traffic``), used by the progressive plan when present.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from runbook_lib import redact
from runbook_lib.errors import CutoverError
from runbook_lib.util import utc_now

log = logging.getLogger("runbook_lib.cutover.switch")

PRODUCERS = "producers"
SIDES = ("source", "target")


@dataclass(frozen=True)
class Binding:
    """One pipeline's endpoints on both sides (no secrets)."""

    kind: str
    source: str
    target: str


@dataclass(frozen=True)
class SwitchRecord:
    """What one write did: parameter, the side and endpoint it now names, its version, what it named before."""

    parameter: str
    side: str
    endpoint: str
    version: int
    previous_side: str | None


def _hosts(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}" if parts.scheme else uri


def binding_for(kind: str, migrator: Any) -> Binding:
    """The endpoints a pipeline's consumers connect to on each side, read from its migrator (credentials left out)."""
    members = [m for _, m in getattr(migrator, "members", [])] or [migrator]
    if kind == "postgres":
        source = "; ".join(m.source.describe(m.database) for m in members)
        target = "; ".join(m.target.describe(m.target_database) for m in members)
    elif kind == "s3":
        endpoint = getattr(getattr(migrator.source, "meta", None), "endpoint_url", "") or "s3"
        source = f"{endpoint} " + ",".join(sorted({p.source_bucket for p in migrator.mappings}))
        target = migrator.target_identity()
    elif kind == "mongo":
        source = "; ".join(_hosts(getattr(m, "_source_uri", "") or "source") + "/" +
                           ",".join(d.name for d in m.databases) for m in members)
        target = migrator.target_identity()
    else:
        identity = getattr(migrator, "source_identity", None)
        source = identity() if callable(identity) else f"{kind} source"
        target = migrator.target_identity() or f"{kind} target"
    return Binding(kind, redact.redact_text(source), redact.redact_text(target))


class EndpointSwitch:
    """Reads and writes the pipelines' endpoint parameters under one prefix.

    Args:
        ssm: a boto3 SSM client.
        prefix: ``cutover.endpoint_parameter_prefix`` (``{env}`` is replaced by ``env``).
        env: the environment's name.
    """

    def __init__(self, ssm: Any, prefix: str, env: str) -> None:
        self.ssm = ssm
        self.prefix = prefix.replace("{env}", env).rstrip("/")

    def parameter(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def read(self, name: str) -> dict[str, Any] | None:
        try:
            value = self.ssm.get_parameter(Name=self.parameter(name))["Parameter"]
        except self.ssm.exceptions.ParameterNotFound:
            return None
        try:
            data = json.loads(value["Value"])
        except ValueError:
            data = {"value": value["Value"]}
        data["version"] = int(value.get("Version", 0))
        return data

    def _write(self, name: str, payload: dict[str, Any], description: str) -> int:
        text = json.dumps(payload, sort_keys=True)
        answer = self.ssm.put_parameter(Name=self.parameter(name), Value=text, Type="String", Overwrite=True,
                                        Description=description[:1024])
        back = self.ssm.get_parameter(Name=self.parameter(name))["Parameter"]
        if back["Value"] != text:
            raise CutoverError(f"{self.parameter(name)} reads back {back['Value'][:80]!r}, not what was written",
                               hint="another writer changed it: find it before switching again")
        return int(answer.get("Version", back.get("Version", 0)))

    def point(self, binding: Binding, side: str) -> SwitchRecord:
        """Make ``binding.kind``'s consumers read ``side``'s endpoint; proven by reading the parameter back."""
        if side not in SIDES:
            raise CutoverError(f"unknown side {side!r}", hint=f"one of {', '.join(SIDES)}")
        before = self.read(binding.kind)
        endpoint = binding.source if side == "source" else binding.target
        version = self._write(binding.kind, {"side": side, "endpoint": endpoint, "switched_at": utc_now()},
                              f"{binding.kind} consumers connect to the {side}")
        log.info("%s -> %s (%s), version %d", self.parameter(binding.kind), side, endpoint, version)
        return SwitchRecord(self.parameter(binding.kind), side, endpoint, version,
                            before.get("side") if before else None)

    def set_producers(self, state: str) -> SwitchRecord:
        """``paused`` or ``running``: what the producers read before each send."""
        if state not in ("paused", "running"):
            raise CutoverError(f"unknown producer state {state!r}", hint="paused or running")
        before = self.read(PRODUCERS)
        version = self._write(PRODUCERS, {"state": state, "switched_at": utc_now()}, f"producers {state}")
        return SwitchRecord(self.parameter(PRODUCERS), state, "", version, before.get("state") if before else None)

    def delete(self, names: list[str]) -> int:
        """Delete parameters (tests and the sandbox's cleanup); returns how many existed."""
        if not names:
            return 0
        answer = self.ssm.delete_parameters(Names=[self.parameter(n) for n in names])
        return len(answer.get("DeletedParameters", []))
