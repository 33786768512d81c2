"""runbook_lib.params: validation errors name the dotted key; secrets are references only."""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import REPO, VALID_PARAMS

from runbook_lib import redact
from runbook_lib.errors import ParamsError
from runbook_lib.params import (
    GATE_ACTIONS,
    RunbookParams,
    SecretRef,
    diff_keys,
    load_params,
    load_params_file,
    params_hash,
    parse_params,
    redacted_dict,
    resolve_secret,
)

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("clean_redactor")]

REPO_PARAMS = REPO / "params"


def base() -> dict[str, Any]:
    return yaml.safe_load(VALID_PARAMS.read_text())


def _refused(data: dict[str, Any], *mutations: Callable[[dict[str, Any]], None]) -> ParamsError:
    """What ``parse_params`` raises for ``data`` once each mutation is applied (the test fails if it parses)."""
    for mutate in mutations:
        mutate(data)
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    return info.value


def _cases(rows: list[tuple[Any, ...]]) -> list[Any]:
    """Table rows ``(id, *values)`` as parametrize cases, each named by its id."""
    return [pytest.param(*row[1:], id=row[0]) for row in rows]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets the value at a dotted path (list indexes as [n])."""

    def mutate(data: dict[str, Any]) -> None:
        parts = path.replace("[", ".[").split(".")
        target: Any = data
        for part in parts[:-1]:
            target = target[int(part[1:-1])] if part.startswith("[") else target[part]
        last = parts[-1]
        if last.startswith("["):
            target[int(last[1:-1])] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        parts = path.split(".")
        target: Any = data
        for part in parts[:-1]:
            target = target[part]
        del target[parts[-1]]

    return mutate


def _dup_s3_target(data: dict[str, Any]) -> None:
    data["migration"]["s3"][1]["target_bucket"] = data["migration"]["s3"][0]["target_bucket"]


def _dup_kafka_target(data: dict[str, Any]) -> None:
    first = data["migration"]["kafka"][0]
    data["migration"]["kafka"].append({**first, "source_topic": "events.other", "target_topic": first["source_topic"]})


def test_fixture_is_valid() -> None:
    params = parse_params(base())
    assert params.env == "sandbox"
    assert params.terraform.env_dir == Path("terraform_infra/envs/sandbox")  # defaulted from env
    assert params.migration.postgres[0].target_dsn_ref.kind == "env"


@pytest.mark.parametrize("env", ["sandbox", "dev", "staging", "prod"])
def test_repository_params_files_load(env: str) -> None:
    params = load_params(env, REPO_PARAMS)
    assert params.env == env
    if env == "prod":
        assert params.gates.mode == "interactive"
        assert params.aws.endpoint_url is None
        assert params.aws.allowed_account_ids
    if env == "sandbox":
        assert params.aws.endpoint_url == "sandbox"
        assert params.gates.mode == "headless"
        assert {m.source_bucket for m in params.migration.s3} == {"raw", "curated"}
        assert [d.name for d in params.migration.postgres] == ["platform"]
        assert [m.name for m in params.migration.mongo] == ["events"]
        assert params.migration.kafka


BAD_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("region-incomplete", _set("aws.region", "eu-west"), "aws.region"),
    ("region-uppercase", _set("aws.region", "EU-WEST-1"), "aws.region"),
    ("region-number", _set("aws.region", 5), "aws.region"),
    ("account-short", _set("aws.allowed_account_ids", ["12345"]), "aws.allowed_account_ids[0]"),
    (
        "account-unquoted",
        _set("aws.allowed_account_ids", ["123456789012", 210987654321]),
        "aws.allowed_account_ids[1]",
    ),
    ("account-letters", _set("aws.allowed_account_ids", ["12345678901a"]), "aws.allowed_account_ids[0]"),
    ("endpoint-ftp", _set("aws.endpoint_url", "ftp://example.com"), "aws.endpoint_url"),
    ("endpoint-no-scheme", _set("aws.endpoint_url", "localhost:5000"), "aws.endpoint_url"),
    ("endpoint-bad-port", _set("aws.endpoint_url", "http://localhost:99999"), "aws.endpoint_url"),
    ("connect-timeout-zero", _set("aws.connect_timeout", 0), "aws.connect_timeout"),
    ("max-attempts-zero", _set("aws.max_attempts", 0), "aws.max_attempts"),
    ("role-arn-bad", _set("aws.assume_role_arn", "role/runbook"), "aws.assume_role_arn"),
    (
        "role-other-account",
        _set("aws.assume_role_arn", "arn:aws:iam::999999999999:role/x"),
        "aws.assume_role_arn",
    ),
    ("aws-unknown-key", _set("aws.regoin", "eu-west-1"), "aws.regoin"),
    ("top-unknown-key", _set("terrafrom", {}), "terrafrom"),
    ("aws-missing", _delete("aws"), "aws"),
    ("region-missing", _delete("aws.region"), "aws.region"),
    ("env-bad", _set("env", "Prod!"), "env"),
    ("tf-binary", _set("terraform.binary", "terragrunt"), "terraform.binary"),
    ("bucket-uppercase", _set("terraform.backend.bucket", "My_Bucket"), "terraform.backend.bucket"),
    ("bucket-short", _set("terraform.backend.bucket", "ab"), "terraform.backend.bucket"),
    ("bucket-ip", _set("terraform.backend.bucket", "192.168.1.1"), "terraform.backend.bucket"),
    ("bucket-double-dot", _set("terraform.backend.bucket", "a..b-c"), "terraform.backend.bucket"),
    ("bucket-xn", _set("terraform.backend.bucket", "xn--bucket"), "terraform.backend.bucket"),
    ("bucket-alias-suffix", _set("terraform.backend.bucket", "state-s3alias"), "terraform.backend.bucket"),
    ("lock-table-short", _set("terraform.backend.lock_table", "x"), "terraform.backend.lock_table"),
    ("key-prefix-slash", _set("terraform.backend.key_prefix", "/runbook"), "terraform.backend.key_prefix"),
    ("backend-region", _set("terraform.backend.region", "moon-1"), "terraform.backend.region"),
    ("allow-destroy-shell", _set("terraform.allow_destroy", ["rm -rf /"]), "terraform.allow_destroy[0]"),
    (
        "allow-destroy-no-name",
        _set("terraform.allow_destroy", ["aws_s3_bucket"]),
        "terraform.allow_destroy[0]",
    ),
    ("plan-timeout-negative", _set("terraform.plan_timeout_s", -5), "terraform.plan_timeout_s"),
    ("apply-timeout-zero", _set("terraform.apply_timeout_s", 0), "terraform.apply_timeout_s"),
    ("gate-mode", _set("gates.mode", "auto"), "gates.mode"),
    (
        "gate-action",
        _set("gates.auto_approve_actions", ["create", "destroy"]),
        "gates.auto_approve_actions[1]",
    ),
    ("workers-zero", _set("migration.workers", 0), "migration.workers"),
    ("workers-too-many", _set("migration.workers", 65), "migration.workers"),
    ("threshold-zero", _set("migration.at_scale_threshold_bytes", 0), "migration.at_scale_threshold_bytes"),
    ("s3-verify-mode", _set("migration.s3_verify_mode", "fast"), "migration.s3_verify_mode"),
    ("s3-target-bad", _set("migration.s3[0].target_bucket", "Bad_Bucket"), "migration.s3[0].target_bucket"),
    ("s3-prefix-slash", _set("migration.s3[1].prefix", "/landing"), "migration.s3[1].prefix"),
    ("s3-duplicate-target", _dup_s3_target, "migration.s3[1].target_bucket"),
    ("kafka-duplicate-target", _dup_kafka_target, "migration.kafka[1].target_topic"),
    ("approver-twice", _set("cutover", {"approvers": ["Ana Lima", "ana lima"]}), "cutover.approvers[1]"),
    ("pg-jobs-zero", _set("migration.postgres[0].jobs", 0), "migration.postgres[0].jobs"),
    ("pg-name", _set("migration.postgres[0].name", "1-bad"), "migration.postgres[0].name"),
    ("pg-unknown-key", _set("migration.postgres[0].dbname", "x"), "migration.postgres[0].dbname"),
    (
        "ref-no-source",
        _set("migration.postgres[0].source_dsn_ref", {}),
        "migration.postgres[0].source_dsn_ref",
    ),
    (
        "ref-two-sources",
        _set("migration.postgres[0].target_dsn_ref", {"env": "A", "sandbox": "postgres-target"}),
        "migration.postgres[0].target_dsn_ref",
    ),
    (
        "ref-plain-string",
        _set("migration.postgres[0].source_dsn_ref", "env:PG"),
        "migration.postgres[0].source_dsn_ref",
    ),
    (
        "ref-env-name",
        _set("migration.postgres[0].source_dsn_ref", {"env": "1BAD"}),
        "migration.postgres[0].source_dsn_ref.env",
    ),
    (
        "ref-sm-arn",
        _set("migration.kafka[0].target_bootstrap_ref", {"secretsmanager_arn": "not-an-arn"}),
        "migration.kafka[0].target_bootstrap_ref.secretsmanager_arn",
    ),
    (
        "ref-unknown-source",
        _set("migration.mongo[0].target_uri_ref", {"vault": "x"}),
        "migration.mongo[0].target_uri_ref.vault",
    ),
    ("topic-name", _set("migration.kafka[0].source_topic", "bad topic"), "migration.kafka[0].source_topic"),
    ("mongo-name", _set("migration.mongo[0].name", "a.b"), "migration.mongo[0].name"),
    ("redact-pattern", _set("evidence.redact_patterns", ["ok", "("]), "evidence.redact_patterns[1]"),
    ("html-export", _set("evidence.html_export", "maybe"), "evidence.html_export"),
    ("cidr-host-bits", _set("network.source_cidrs", ["10.0.0.1/16"]), "network.source_cidrs[0]"),
    ("cidr-garbage", _set("network.source_cidrs", ["10.0.0.0/16", "300.0.0.0/8"]), "network.source_cidrs[1]"),
    ("cidr-no-prefix", _set("network.source_cidrs", ["10.0.0.0"]), "network.source_cidrs[0]"),
]


@pytest.mark.parametrize(("mutate", "key"), _cases(BAD_CASES))
def test_bad_parameter_names_its_dotted_key(mutate: Callable[[dict[str, Any]], None], key: str) -> None:
    error = _refused(base(), mutate)
    assert error.key == key
    assert error.allowed  # always says what would be accepted
    assert error.exit_code == 2


def test_literal_choices_are_listed_as_allowed() -> None:
    error = _refused(base(), _set("gates.auto_approve_actions", ["create", "destroy"]))
    assert error.value == "destroy"
    for action in GATE_ACTIONS:
        assert action in error.allowed


def test_range_is_reported_as_allowed() -> None:
    error = _refused(base(), _set("migration.workers", 99))
    assert error.value == 99
    assert ">= 1" in error.allowed and "<= 64" in error.allowed


def test_unknown_key_lists_allowed_keys_at_its_level() -> None:
    data = base()
    data["aws"]["regoin"] = "eu-west-1"
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    assert "region" in info.value.allowed
    assert "allowed_account_ids" in info.value.allowed
    assert "workers" not in info.value.allowed  # that is another level


def test_several_problems_are_counted_in_the_message() -> None:
    data = base()
    data["aws"]["region"] = "nowhere"
    data["gates"]["mode"] = "sometimes"
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    assert info.value.key == "aws.region"
    assert "gates.mode" in info.value.message


# -- production rules ----------------------------------------------------------------------------
def _prod() -> dict[str, Any]:
    data = base()
    data["env"] = "prod"
    data["aws"]["endpoint_url"] = None
    data["gates"] = {"mode": "interactive", "auto_approve_actions": ["no-op", "read"]}
    return data


def test_production_fixture_variant_is_valid() -> None:
    assert parse_params(_prod()).is_production


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (_set("aws.endpoint_url", "http://127.0.0.1:5000"), "aws.endpoint_url"),
        (_set("aws.endpoint_url", "sandbox"), "aws.endpoint_url"),
        (_set("aws.allowed_account_ids", []), "aws.allowed_account_ids"),
        (
            _set("gates", {"mode": "headless", "auto_approve_actions": ["create", "delete"]}),
            "gates.auto_approve_actions",
        ),
        (
            _set("gates", {"mode": "headless", "auto_approve_actions": ["replace"]}),
            "gates.auto_approve_actions",
        ),
    ],
    ids=["endpoint-url", "endpoint-sandbox", "no-accounts", "headless-delete", "headless-replace"],
)
def test_production_rules(mutate: Callable[[dict[str, Any]], None], key: str) -> None:
    assert _refused(_prod(), mutate).key == key


def test_production_headless_without_destructive_actions_is_allowed() -> None:
    data = _prod()
    data["gates"] = {"mode": "headless", "auto_approve_actions": ["no-op", "read", "create", "update"]}
    assert parse_params(data).gates.mode == "headless"


def test_interactive_production_may_not_list_delete_either() -> None:
    # `runbook tf apply --auto-approve-policy` uses the policy whatever gates.mode says
    error = _refused(_prod(), _set("gates.auto_approve_actions", ["delete"]))
    assert error.key == "gates.auto_approve_actions"
    assert "protected" in str(error)


# -- protected: the production rules by intent ---------------------------------------------------------------------
def _real(env: str, **top: Any) -> dict[str, Any]:
    """The fixture pointed at real AWS under another env name, with a headless policy that includes deletes."""
    data = base()
    data["env"] = env
    data["aws"]["endpoint_url"] = None
    data["gates"] = {"mode": "headless", "auto_approve_actions": ["no-op", "read", "create", "update", "delete"]}
    data.update(top)
    return data


@pytest.mark.parametrize("env", ["prd", "dev", "staging", "eu-prod", "customer-a"])
def test_every_env_but_the_sandbox_is_protected_by_default(env: str) -> None:
    with pytest.raises(ParamsError) as info:
        parse_params(_real(env))
    assert info.value.key == "gates.auto_approve_actions"
    assert "protected" in str(info.value)


def test_the_sandbox_is_not_protected_by_default() -> None:
    params = parse_params(base())
    assert params.protected is False
    assert parse_params(_real("dev", protected=None) | {"gates": {"mode": "interactive"}}).protected is True


def test_a_rehearsal_env_may_opt_out_and_the_choice_is_recorded() -> None:
    params = parse_params(_real("staging", protected=False))
    assert params.protected is False
    assert params.gates.auto_approve_actions[-1] == "delete"
    assert redacted_dict(params)["protected"] is False  # what the evidence records


@pytest.mark.parametrize("env", ["prod", "prd", "production", "live", "eu-prod", "prod2"])
def test_an_env_named_like_production_cannot_opt_out(env: str) -> None:
    with pytest.raises(ParamsError) as info:
        parse_params(_real(env, protected=False))
    assert info.value.key == "protected"
    assert f"env {env!r}" in str(info.value) and "rehearsal" in str(info.value.allowed)


def test_a_protected_env_names_its_accounts() -> None:
    data = _real("dev", protected=True)
    data["gates"]["auto_approve_actions"] = ["no-op", "read"]
    data["aws"]["allowed_account_ids"] = []
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    assert info.value.key == "aws.allowed_account_ids"


def test_protected_must_be_a_boolean() -> None:
    with pytest.raises(ParamsError) as info:
        parse_params(base() | {"protected": "sometimes"})
    assert info.value.key == "protected"


# -- what a params file may not do silently ------------------------------------------------------------------------
def test_a_duplicated_key_is_refused_with_its_lines(tmp_path: Path) -> None:
    text = VALID_PARAMS.read_text() + "aws:\n  region: us-east-1\n  allowed_account_ids: ['999999999999']\n"
    path = tmp_path / "sandbox.yaml"
    path.write_text(text)
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("aws:"))
    last = len(text.splitlines()) - 2
    with pytest.raises(ParamsError) as info:
        load_params_file(path)
    assert info.value.key == "aws"
    assert f"lines {first} and {last}" in info.value.message


def test_a_duplicated_nested_key_is_refused_by_its_dotted_path(tmp_path: Path) -> None:
    text = VALID_PARAMS.read_text().replace("  region: eu-west-1\n", "  region: eu-west-1\n  region: us-east-1\n", 1)
    path = tmp_path / "sandbox.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError) as info:
        load_params_file(path)
    assert info.value.key == "aws.region"


def test_a_var_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    data = base()
    data["terraform"]["var_files"] = [str(tmp_path / "exists.tfvars"), "terraform_infra/envs/sandbox/nope.tfvars"]
    (tmp_path / "exists.tfvars").write_text('x = "1"\n')
    path = tmp_path / "sandbox.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ParamsError) as info:
        load_params_file(path)
    assert info.value.key == "terraform.var_files[1]"
    assert "nope.tfvars" in info.value.message
    data["terraform"]["var_files"] = data["terraform"]["var_files"][:1]
    path.write_text(yaml.safe_dump(data))
    assert load_params_file(path).terraform.var_files == [tmp_path / "exists.tfvars"]


def test_dry_run_refuses_a_missing_var_file(tmp_path: Path) -> None:
    from runbook_lib.phases.headless import run_notebooks

    data = base()
    data["terraform"]["var_files"] = ["terraform_infra/envs/sandbox/nope.tfvars"]
    (tmp_path / "sandbox.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ParamsError) as info:
        run_notebooks("sandbox", dry_run=True, params_dir=tmp_path, outputs_dir=tmp_path / "out")
    assert info.value.key == "terraform.var_files[0]"


# -- secrets ---------------------------------------------------------------------------------------
SECRET = "Sup3r-S3cret-" + "x" * 8

SECRET_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("password-key", _set("migration.postgres[0].password", SECRET), "migration.postgres[0].password"),
    ("aws-secret-key", _set("aws.aws_secret_access_key", SECRET), "aws.aws_secret_access_key"),
    ("access-key", _set("aws.access_key", SECRET), "aws.access_key"),
    ("api-token", _set("migration.kafka[0].api_token", SECRET), "migration.kafka[0].api_token"),
    ("top-level-secret", _set("db_secret", SECRET), "db_secret"),
    ("numeric-password", _set("migration.postgres[0].password", 12345678), "migration.postgres[0].password"),
    (
        "dsn-as-ref",
        _set("migration.postgres[0].source_dsn_ref", f"postgresql://app:{SECRET}@db:5432/platform"),
        "migration.postgres[0].source_dsn_ref",
    ),
    (
        "dsn-inside-ref",
        _set("migration.postgres[0].target_dsn_ref", {"env": f"postgresql://app:{SECRET}@db/platform"}),
        "migration.postgres[0].target_dsn_ref.env",
    ),
    ("libpq-password", _set("run_label", f"host=db password={SECRET}"), "run_label"),
    (
        "url-with-credentials",
        _set("aws.endpoint_url", f"http://admin:{SECRET}@localhost:5000"),
        "aws.endpoint_url",
    ),
]


@pytest.mark.parametrize(("mutate", "key"), _cases(SECRET_CASES))
def test_literal_secrets_are_rejected_without_echoing_them(mutate: Callable[[dict[str, Any]], None], key: str) -> None:
    error = _refused(base(), mutate)
    assert error.key == key
    shown = f"{error} {error.value!r} {error.allowed!r} {error.message}"
    assert SECRET not in shown
    assert "12345678" not in shown
    assert "reference" in str(error.allowed) or "SecretRef" in str(error.allowed)


def test_secret_reference_fields_are_not_mistaken_for_secrets() -> None:
    data = base()
    data["migration"]["postgres"][0]["source_dsn_ref"] = {
        "secretsmanager_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg-AbCdEf",
        "json_key": "dsn",
    }
    params = parse_params(data)
    assert params.migration.postgres[0].source_dsn_ref.describe().startswith("secretsmanager_arn:arn:aws")


def test_redact_patterns_may_mention_password() -> None:
    data = base()
    data["evidence"]["redact_patterns"] = [r"password=(?P<secret>\S+)"]
    assert parse_params(data).evidence.redact_patterns == [r"password=(?P<secret>\S+)"]


# -- loading ---------------------------------------------------------------------------------------
def test_unknown_env_lists_the_files_found(tmp_path: Path) -> None:
    (tmp_path / "sandbox.yaml").write_text(VALID_PARAMS.read_text())
    (tmp_path / "staging.yaml").write_text("env: staging\n")
    with pytest.raises(ParamsError) as info:
        load_params("qa", tmp_path)
    assert info.value.key == "env"
    assert info.value.value == "qa"
    assert list(info.value.allowed) == ["sandbox", "staging"]


def test_env_in_file_must_match_its_name(tmp_path: Path) -> None:
    (tmp_path / "dev.yaml").write_text(VALID_PARAMS.read_text())  # says env: sandbox
    with pytest.raises(ParamsError) as info:
        load_params("dev", tmp_path)
    assert info.value.key == "env"


def test_invalid_yaml_is_a_params_error(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.yaml"
    path.write_text("env: sandbox\naws: [unclosed\n")
    with pytest.raises(ParamsError) as info:
        load_params_file(path)
    assert info.value.key == "params_file"
    assert "line" in info.value.message


def test_loading_registers_redact_patterns(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.yaml"
    path.write_text(VALID_PARAMS.read_text())
    load_params_file(path)
    assert redact.redact_text("token tok-0123abcd here") == f"token {redact.MASK} here"


def test_params_hash_is_stable_and_sensitive() -> None:
    first = parse_params(base())
    again = parse_params(base())
    assert params_hash(first) == params_hash(again)
    assert len(params_hash(first)) == 64
    changed = base()
    changed["migration"]["workers"] = 3
    assert params_hash(parse_params(changed)) != params_hash(first)


def test_redacted_dict_is_json_and_passes_through_the_redactor() -> None:
    data = base()
    data["run_label"] = "label AKIAIOSFODNN7EXAMPLE"
    out = redacted_dict(parse_params(data))
    json.dumps(out)
    assert out["run_label"] == f"label {redact.MASK}"
    assert out["migration"]["postgres"][0]["source_dsn_ref"]["sandbox"] == "postgres-source"


def test_diff_keys_names_changed_paths() -> None:
    old = {"a": 1, "b": {"c": [1, 2], "d": "x"}}
    new = {"a": 1, "b": {"c": [1, 3], "d": "y"}, "e": 0}
    assert diff_keys(old, new) == ["b.c[1]", "b.d", "e"]


def test_params_are_frozen() -> None:
    params = parse_params(base())
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError for frozen models
        params.env = "prod"  # type: ignore[misc]
    assert isinstance(params, RunbookParams)


# -- resolving secrets -----------------------------------------------------------------------------
def test_resolve_env_secret_registers_value_and_password(monkeypatch: pytest.MonkeyPatch) -> None:
    password = secrets.token_hex(8)
    monkeypatch.setenv("PG_TARGET_DSN", f"postgresql://app:{password}@db:5432/platform")
    value = resolve_secret(SecretRef(env="PG_TARGET_DSN"))
    assert value.endswith("@db:5432/platform")
    assert password not in redact.redact_text(f"the password is {password}")
    assert redact.redact_text(value) == redact.MASK


def test_resolve_missing_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    with pytest.raises(ParamsError) as info:
        resolve_secret(SecretRef(env="NOPE_NOT_SET"))
    assert info.value.key == "env"
    assert info.value.value == "NOPE_NOT_SET"


def test_resolve_sandbox_secret_uses_the_resolver() -> None:
    token = "host=127.0.0.1 port=5 password=" + secrets.token_hex(6)
    asked: list[str] = []

    def resolver(name: str) -> str:
        asked.append(name)
        return token

    assert resolve_secret(SecretRef(sandbox="postgres-source"), sandbox_resolver=resolver) == token
    assert asked == ["postgres-source"]
    assert token.split("=")[-1] not in redact.redact_text("leak " + token.split("=")[-1])


def test_resolve_sandbox_secret_without_resolver() -> None:
    with pytest.raises(ParamsError) as info:
        resolve_secret(SecretRef(sandbox="postgres-source"))
    assert info.value.key == "sandbox"


def test_resolve_secretsmanager_and_ssm_with_moto() -> None:
    import boto3
    from moto import mock_aws

    password = secrets.token_hex(10)
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
        arn = session.client("secretsmanager").create_secret(
            Name="pg", SecretString=json.dumps({"dsn": f"postgresql://u:{password}@h/db", "user": "u"})
        )["ARN"]
        session.client("ssm").put_parameter(Name="/runbook/test/uri", Value="mongodb://h:27017", Type="SecureString")
        dsn = resolve_secret(SecretRef(secretsmanager_arn=arn, json_key="dsn"), session=session)
        uri = resolve_secret(SecretRef(ssm_parameter="/runbook/test/uri"), session=session)
        with pytest.raises(ParamsError) as info:
            resolve_secret(SecretRef(ssm_parameter="/runbook/test/absent"), session=session)
        with pytest.raises(ParamsError) as json_info:
            resolve_secret(SecretRef(secretsmanager_arn=arn, json_key="absent"), session=session)
    assert dsn == f"postgresql://u:{password}@h/db"
    assert uri == "mongodb://h:27017"
    assert password not in redact.redact_text(f"pw {password}")
    assert info.value.key == "ssm_parameter"
    assert json_info.value.key == "json_key"


def test_secret_ref_round_trip_and_describe() -> None:
    ref = SecretRef(env="PG_SOURCE_DSN")
    assert ref.kind == "env"
    assert ref.describe() == "env:PG_SOURCE_DSN"
    copy_of = SecretRef.model_validate(copy.deepcopy(ref.model_dump()))
    assert copy_of == ref


# ----------------------------------------------------------------------------- migration.at_scale

AT_SCALE: dict[str, Any] = {
    "datasync": {
        "bucket_access_role_arn": "arn:aws:iam::123456789012:role/datasync-s3",
        "agent_arns": ["arn:aws:datasync:eu-west-1:123456789012:agent/agent-0123456789abcdef0"],
        "server_hostname": "minio.platform.internal",
        "server_port": 9000,
        "server_protocol": "HTTPS",
        "access_key_ref": {"env": "MINIO_ACCESS_KEY"},
        "secret_key_ref": {"env": "MINIO_SECRET_KEY"},
    },
    "dms": {
        "replication_instance_class": "dms.r5.large",
        "replication_subnet_group_id": "runbook-dms",
        "security_group_ids": ["sg-0123456789abcdef0"],
        "cdc_required": True,
    },
}


def _with_at_scale(data: dict[str, Any] | None = None) -> dict[str, Any]:
    data = data if data is not None else base()
    data["migration"]["at_scale"] = copy.deepcopy(AT_SCALE)
    return data


def test_at_scale_section_is_optional_and_typed() -> None:
    assert parse_params(base()).migration.at_scale is None
    params = parse_params(_with_at_scale())
    assert params.migration.at_scale is not None
    datasync, dms = params.migration.at_scale.datasync, params.migration.at_scale.dms
    assert datasync is not None and datasync.access_key_ref is not None
    assert datasync.access_key_ref.describe() == "env:MINIO_ACCESS_KEY"
    assert dms is not None and dms.cdc_required and dms.security_group_ids == ["sg-0123456789abcdef0"]


def test_the_commented_prod_example_is_valid_once_uncommented() -> None:
    lines = (REPO_PARAMS / "prod.yaml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "# at_scale:")
    out = list(lines)
    for i in range(start, len(lines)):
        if not lines[i].lstrip().startswith("#"):
            break
        out[i] = lines[i].replace("# ", "", 1)
    params = parse_params(yaml.safe_load("\n".join(out)))
    assert params.migration.at_scale is not None
    assert params.migration.at_scale.datasync is not None and params.migration.at_scale.dms is not None
    assert params.migration.at_scale.dms.docdb_certificate_arn.endswith(":cert:RDSGLOBALBUNDLE")


AT_SCALE_BAD: list[tuple[str, str, Any, str]] = [
    (
        "agent-arn",
        "datasync.agent_arns",
        ["arn:aws:ec2:eu-west-1:123456789012:agent/x"],
        "migration.at_scale.datasync.agent_arns[0]",
    ),
    (
        "role-arn",
        "datasync.bucket_access_role_arn",
        "datasync-role",
        "migration.at_scale.datasync.bucket_access_role_arn",
    ),
    ("hostname-url", "datasync.server_hostname", "https://minio:9000", "migration.at_scale.datasync.server_hostname"),
    ("protocol", "datasync.server_protocol", "FTP", "migration.at_scale.datasync.server_protocol"),
    ("port", "datasync.server_port", 70000, "migration.at_scale.datasync.server_port"),
    ("literal-secret", "datasync.secret_key_ref", "minio-secret-123", "migration.at_scale.datasync.secret_key_ref"),
    (
        "instance-class",
        "dms.replication_instance_class",
        "r5.large",
        "migration.at_scale.dms.replication_instance_class",
    ),
    (
        "subnet-default",
        "dms.replication_subnet_group_id",
        "default",
        "migration.at_scale.dms.replication_subnet_group_id",
    ),
    ("security-group", "dms.security_group_ids", ["sg-12"], "migration.at_scale.dms.security_group_ids[0]"),
    ("no-security-group", "dms.security_group_ids", [], "migration.at_scale.dms.security_group_ids"),
    ("cdc-not-bool", "dms.cdc_required", "sometimes", "migration.at_scale.dms.cdc_required"),
    (
        "docdb-certificate-acm",
        "dms.docdb_certificate_arn",
        "arn:aws:acm:eu-west-1:123456789012:certificate/0123abcd",
        "migration.at_scale.dms.docdb_certificate_arn",
    ),
    ("unknown-key", "dms.instance_type", "dms.r5.large", "migration.at_scale.dms.instance_type"),
]


@pytest.mark.parametrize(("where", "value", "key"), _cases(AT_SCALE_BAD))
def test_bad_at_scale_parameter_names_its_key_and_what_is_allowed(where: str, value: Any, key: str) -> None:
    error = _refused(_with_at_scale(), _set(f"migration.at_scale.{where}", value))
    assert error.key == key
    assert error.allowed and error.exit_code == 2
    if where.endswith(".agent_arns"):
        assert "arn:aws:datasync:" in str(error.allowed)
    if where.endswith(".server_protocol"):
        assert "HTTPS" in str(error.allowed) and "HTTP" in str(error.allowed)


def test_minio_keys_come_in_pairs() -> None:
    data = _with_at_scale()
    del data["migration"]["at_scale"]["datasync"]["secret_key_ref"]
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    assert info.value.key == "migration.at_scale.datasync.secret_key_ref"
    assert "access_key_ref" in str(info.value.allowed)


def test_datasync_needs_agents_outside_the_sandbox() -> None:
    sandbox = _with_at_scale()
    sandbox["migration"]["at_scale"]["datasync"]["agent_arns"] = []
    assert parse_params(sandbox).migration.at_scale is not None  # moto needs none
    prod = _with_at_scale(_prod())
    prod["migration"]["at_scale"]["datasync"]["agent_arns"] = []
    with pytest.raises(ParamsError) as info:
        parse_params(prod)
    assert info.value.key == "migration.at_scale.datasync.agent_arns"
    assert "agent" in str(info.value.allowed)
