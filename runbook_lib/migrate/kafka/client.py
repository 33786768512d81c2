"""Kafka clients for the mirror: a read-only view of the source, and the target's admin, consumer and producer.

Why a read-only wrapper: the migration's first rule is that the source is never written to. The
source is reached only through :class:`SourceCluster`, which exposes metadata, configs, group
listings and consumers that never commit, and has no producer, no topic creation, no offset commit.
Metadata requests never name a topic: a broker with ``auto.create.topics.enable`` (Tansu, and many
self-hosted Kafkas) creates a topic that a metadata request names.

``confluent_kafka`` is imported lazily (the ``kafka`` extra), with an error naming the extra.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.endpoints import kafka_bootstrap
from runbook_lib.errors import BrokerUnreachableError, ToolMissingError
from runbook_lib.redact import redact_text

log = logging.getLogger("runbook_lib.migrate.kafka")

#: Seconds a metadata/admin request may take before the cluster counts as unreachable.
ADMIN_TIMEOUT_S = 10.0
#: The group id of the mirror's consumers: they only ``assign()`` and never commit, so it is never created.
READ_ONLY_GROUP = "runbook-mirror-readonly"


def confluent() -> Any:
    """The ``confluent_kafka`` module, or a ToolMissingError naming the extra to install."""
    try:
        import confluent_kafka
        import confluent_kafka.admin  # noqa: F401 - makes confluent_kafka.admin an attribute
    except ImportError as error:  # pragma: no cover - the extra is installed in the project venv
        raise ToolMissingError(
            "confluent-kafka", "the Kafka migrator needs confluent-kafka", hint="pip install 'runbook[kafka]'"
        ) from error
    return confluent_kafka


@dataclass
class Cluster:
    """One Kafka cluster as the migrator reaches it.

    Args:
        bootstrap: ``host:port[,host:port]`` or ``kafka://…`` (a secret: never logged unredacted).
        side: ``source`` or ``target`` (for messages).
        key: the parameter that names the bootstrap (for messages).
        extra: more librdkafka settings (SASL/TLS for MSK).
    """

    bootstrap: str
    side: str
    key: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    _admin: Any = field(default=None, repr=False)
    _probe: Any = field(default=None, repr=False)
    _range: Any = field(default=None, repr=False)
    _range_busy: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.bootstrap = kafka_bootstrap(self.bootstrap)

    @property
    def shown(self) -> str:
        """The bootstrap address as messages show it (redacted when it was registered as a secret)."""
        return redact_text(self.bootstrap)

    def conf(self, **more: Any) -> dict[str, Any]:
        # No "logger" callback: with one, librdkafka crashed (SIGSEGV) in long runs here; its lines go to stderr.
        return {"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 10000, **self.extra, **more}

    def admin(self) -> Any:
        if self._admin is None:
            self._admin = confluent().admin.AdminClient(self.conf())
        return self._admin

    def metadata(self, timeout: float = ADMIN_TIMEOUT_S) -> Any:
        """Cluster metadata for every topic (never one named topic: that could create it)."""
        try:
            return self.admin().list_topics(timeout=timeout)
        except Exception as error:  # noqa: BLE001 - KafkaException(_TRANSPORT / _TIMED_OUT)
            raise BrokerUnreachableError(self.side, self.shown, self.key, _short(error)) from None

    def probe(self) -> Any:
        """One long-lived consumer for watermark requests (creating one per request costs a metadata round trip)."""
        if self._probe is None:
            self._probe = self.reader()
        return self._probe

    def fresh(self) -> None:
        """Close the reused consumers: each step (check, copy, verify) starts with new ones.

        Why: a reused consumer keeps metadata of topics that may since have been deleted and recreated
        under the same name; librdkafka 2.x crashed (SIGSEGV) reading such a topic through a kept consumer.
        """
        for consumer in (self._probe, self._range):
            if consumer is not None:
                consumer.close()
        self._probe = self._range = None
        self._range_busy = False

    def borrow_reader(self) -> tuple[Any, bool]:
        """A consumer for one range read: the cluster's reused one, or a new one (``True``) if it is in use."""
        if self._range is None:
            self._range = self.reader()
        if self._range_busy:
            return self.reader(), True
        self._range_busy = True
        return self._range, False

    def return_reader(self, consumer: Any, owned: bool) -> None:
        """Give back what :meth:`borrow_reader` lent: a new consumer is closed, the reused one unassigned."""
        if owned:
            consumer.close()
            return
        try:
            consumer.unassign()
        finally:
            self._range_busy = False

    def reader(self, **more: Any) -> Any:
        """A consumer that only ``assign()``s and never commits or stores offsets."""
        return confluent().Consumer(
            self.conf(
                **{
                    "group.id": READ_ONLY_GROUP,
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "enable.partition.eof": True,
                    "auto.offset.reset": "error",  # never jump silently to another offset
                    "allow.auto.create.topics": False,
                    "fetch.max.bytes": 64 * 1024 * 1024,
                    "fetch.wait.max.ms": 50,  # an end-of-partition read should not wait 500 ms per fetch
                    "max.partition.fetch.bytes": 16 * 1024 * 1024,
                    "queued.max.messages.kbytes": 262144,
                    **more,
                }
            )
        )


class SourceCluster(Cluster):
    """The source: the same reads as :class:`Cluster`, and nothing that writes (see the module docstring)."""

    def producer(self) -> Any:  # pragma: no cover - a guard, never called
        raise AssertionError("the source cluster is read-only: nothing produces to it")


class TargetCluster(Cluster):
    """The target: also a producer (idempotent, ``acks=all``, ordered) and the admin's writes."""

    def producer(self, **more: Any) -> Any:
        """The mirror's producer: idempotent, acks=all, order kept, any failure fatal (no gaps).

        ``enable.gapless.guarantee`` makes librdkafka stop at the first message it cannot deliver
        instead of delivering later ones around a hole; the mirror then stops, and a resume continues
        after the last record the target holds.
        """
        return confluent().Producer(
            self.conf(
                **{
                    "enable.idempotence": True,
                    "acks": "all",
                    "enable.gapless.guarantee": True,
                    # Measured on Tansu (50,000 x 1 KiB): linger 5 ms with default batch sizes 51k rec/s,
                    # linger 20 ms with 1 MiB queues 31k; idempotence itself halves the rate (98k without).
                    "linger.ms": 5,
                    "compression.type": "none",
                    "delivery.report.only.error": True,
                    **more,
                }
            )
        )


def _short(error: BaseException) -> str:
    text = str(error.args[0]) if error.args else type(error).__name__
    return redact_text(text.splitlines()[0])[:200]
