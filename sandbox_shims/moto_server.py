"""The sandbox's moto server, with two answers made to match AWS: S3 ListObjectVersions honours
``encoding-type=url``, and a new RDS instance gets today's default CA certificate.

Why (sandbox only, never used against AWS): moto 5.2 ignores ``encoding-type=url`` on
ListObjectVersions and returns raw keys, while the AWS provider's ``force_destroy`` asks for URL
encoding and then ``url.QueryUnescape``-s every key it gets back. A key such as
``landing/a+b=c/100%25 done.json`` (phase 02 copies such keys into the data lake on purpose) comes
back as ``landing/a b=c/100% done.json``, the provider deletes a key that does not exist, the bucket
never empties, and ``terraform destroy`` of stack 02 loops until moto answers DeleteObjects with
HTTP 500. Amazon S3 encodes the keys (and prefixes and markers) as asked, and so does this shim.

The RDS default: moto 5.2 gives a new DB instance the CA ``rds-ca-default`` (retired by AWS in 2024);
AWS gives ``rds-ca-rsa2048-g1``, which stack 02 pins. The provider does not send the CA on
CreateDBInstance: it compares after create and, on a difference, modifies the instance and waits for it
again - about 80 s more in every sandbox apply of stack 02, a wait that never happens against AWS.

What it fakes: nothing; it makes two moto answers match what AWS returns. Everything else is moto
unchanged. Run as ``python -m sandbox_shims.moto_server [moto_server arguments]``.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import quote

ENCODED_FIELDS = ("KeyMarker", "NextKeyMarker", "Prefix", "Delimiter")


def url_encode_listing(result: dict[str, Any]) -> dict[str, Any]:
    """URL-encode the keys of a ListObjectVersions result as S3 does for ``encoding-type=url``.

    ``quote`` leaves ``/`` and encodes ``+``, space and ``%``, so Go's ``url.QueryUnescape`` (the
    provider) and botocore's ``unquote`` both get the stored key back.
    """
    encoded = dict(result)
    for entries in ("Versions", "DeleteMarkers"):
        encoded[entries] = [{**e, "Key": quote(e["Key"])} for e in result.get(entries) or []]
    if result.get("CommonPrefixes"):
        encoded["CommonPrefixes"] = [{"Prefix": quote(p["Prefix"])} for p in result["CommonPrefixes"]]
    for name in ENCODED_FIELDS:
        if result.get(name):
            encoded[name] = quote(result[name])
    encoded["EncodingType"] = "url"
    return encoded


def patch_list_object_versions() -> None:
    """Wrap moto's S3Response.list_object_versions (one response object per request, so the wrap is local)."""
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    original = S3Response.list_object_versions
    if getattr(original, "_runbook_shim", False):
        return

    def list_object_versions(self: Any) -> Any:
        if self.querystring.get("encoding-type", [None])[0] != "url":
            return original(self)
        serialize = self.serialized

        def serialized(action_result: Any) -> Any:
            return serialize(ActionResult(url_encode_listing(action_result.result)))

        self.serialized = serialized
        try:
            return original(self)
        finally:
            del self.serialized

    list_object_versions._runbook_shim = True  # type: ignore[attr-defined]
    S3Response.list_object_versions = list_object_versions  # type: ignore[method-assign]


#: The CA certificate AWS gives a new RDS DB instance when none is asked for (since 2024).
RDS_DEFAULT_CA = "rds-ca-rsa2048-g1"


def patch_rds_default_ca() -> None:
    """A CreateDBInstance without a CA gets AWS's current default, not moto's retired one."""
    from moto.rds.models import RDSBackend

    original = RDSBackend.create_db_instance
    if getattr(original, "_runbook_shim", False):
        return

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        if not db_kwargs.get("ca_certificate_identifier"):
            db_kwargs = {**db_kwargs, "ca_certificate_identifier": RDS_DEFAULT_CA}
        return original(self, db_kwargs)

    create_db_instance._runbook_shim = True  # type: ignore[attr-defined]
    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    patch_list_object_versions()
    patch_rds_default_ca()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
