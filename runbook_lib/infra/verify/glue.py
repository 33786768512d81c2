"""Glue verifiers: security configurations and catalog settings encrypt everything with KMS, and
jobs and crawlers run under the security configuration the state names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from runbook_lib.infra.verify.core import Lookup, MatchesState, Outcome, VerifyContext, dig, equal
from runbook_lib.terraform.state import StateResource

verify_glue_database = MatchesState(
    "exists",
    Lookup("glue", "get_database", {"Name": "name"}, ("Database",)),
    field="Name",
    attribute="name",
)


def verify_glue_security_configuration(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("glue").get_security_configuration(Name=r.get("name"))["SecurityConfiguration"]
    enc = config.get("EncryptionConfiguration", {})
    s3_modes = [x.get("S3EncryptionMode") for x in enc.get("S3Encryption", [])]
    yield Outcome("glue.s3_encryption", "SSE-KMS", s3_modes or "none", s3_modes == ["SSE-KMS"])
    yield equal("glue.cloudwatch_encryption", "SSE-KMS", dig(enc, "CloudWatchEncryption", "CloudWatchEncryptionMode"))
    yield equal("glue.bookmark_encryption", "CSE-KMS", dig(enc, "JobBookmarksEncryption", "JobBookmarksEncryptionMode"))


def verify_glue_catalog_encryption(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    glue = ctx.client("glue")
    settings = glue.get_data_catalog_encryption_settings(CatalogId=r.get("catalog_id"))["DataCatalogEncryptionSettings"]
    yield equal("glue.catalog_encryption", "SSE-KMS", dig(settings, "EncryptionAtRest", "CatalogEncryptionMode"))
    returned_encrypted = dig(settings, "ConnectionPasswordEncryption", "ReturnConnectionPasswordEncrypted")
    yield equal("glue.connection_password_encryption", True, bool(returned_encrypted))


@dataclass(frozen=True)
class _UsesSecurityConfiguration:
    """A job or crawler runs under exactly the security configuration the state names."""

    lookup: Lookup
    field: str

    def __call__(self, r: StateResource, ctx: VerifyContext) -> Iterable[Outcome]:
        want = r.get("security_configuration")
        have = self.lookup.read(r, ctx).get(self.field)
        yield Outcome(
            "glue.security_configuration",
            want or "a security configuration",
            have or "none",
            bool(have) and have == want,
        )


verify_glue_job = _UsesSecurityConfiguration(
    Lookup("glue", "get_job", {"JobName": "name"}, ("Job",)), field="SecurityConfiguration"
)
verify_glue_crawler = _UsesSecurityConfiguration(
    Lookup("glue", "get_crawler", {"Name": "name"}, ("Crawler",)), field="CrawlerSecurityConfiguration"
)
