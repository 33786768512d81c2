"""runbook_lib.redact: secrets never reach evidence, logs or notebooks in clear."""

from __future__ import annotations

import io
import json
import logging

import nbformat
import pytest

from runbook_lib import redact
from runbook_lib.redact import MASK, RedactingFilter, Redactor, install_log_filter, is_secret_key

pytestmark = pytest.mark.unit

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(autouse=True)
def _clean_redactor():
    redact.get_redactor().clear()
    yield
    redact.get_redactor().clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://app:s3cr3t@db:5432/platform", f"postgresql://app:{MASK}@db:5432/platform"),
        ("mongodb://u:p%40ss@h1,h2/db", f"mongodb://u:{MASK}@h1,h2/db"),
        ("host=db password=hunter2 user=x", f"host=db password={MASK} user=x"),
        ("host=db password='a b c' user=x", f"host=db password={MASK} user=x"),
        ("PGPASSWORD=abc123 psql -h db", f"PGPASSWORD={MASK} psql -h db"),
        ("https://h/x?user=u&password=zz&x=1", f"https://h/x?user=u&password={MASK}&x=1"),
        ('{"password": "xyz123", "user": "u"}', f'{{"password": "{MASK}", "user": "u"}}'),
        ("{'api_token': 'abc'}", f"{{'api_token': '{MASK}'}}"),
        ("keys AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPLE", f"keys {MASK} and {MASK}"),
        (f"aws_secret_access_key = {AWS_SECRET}", f"aws_secret_access_key = {MASK}"),
        (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", f"AWS_SECRET_ACCESS_KEY={MASK}"),
        (f'"SecretAccessKey": "{AWS_SECRET}"', f'"SecretAccessKey": "{MASK}"'),
        ("aws_session_token=IQoJb3JpZ2luX2VjEXAMPLE+/=", f"aws_session_token={MASK}"),
    ],
)
def test_builtin_shapes_are_redacted(text: str, expected: str) -> None:
    assert Redactor().redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "s3://bucket/key",
        "https://host:443/path@x",
        "http://127.0.0.1:5000",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg-AbCdEf",
        "AKIA is a prefix but AKIASHORT is not a key",
        "the password field is required",
    ],
)
def test_harmless_text_is_left_alone(text: str) -> None:
    assert Redactor().redact_text(text) == text


def test_registered_values_are_redacted_longest_first() -> None:
    redactor = Redactor()
    redactor.register("abcd1234")
    redactor.register("abcd1234-extended")
    assert redactor.redact_text("x abcd1234-extended y abcd1234 z") == f"x {MASK} y {MASK} z"
    assert redactor.registered_count == 2


def test_too_short_values_are_not_registered(caplog: pytest.LogCaptureFixture) -> None:
    redactor = Redactor()
    with caplog.at_level(logging.WARNING, logger="runbook_lib.redact"):
        redactor.register("pw")
    assert redactor.redact_text("pw stays") == "pw stays"
    assert "shorter" in caplog.text


def test_extra_patterns_whole_match_or_secret_group() -> None:
    redactor = Redactor([r"tok-[0-9a-f]{8}", r"license=(?P<secret>\w+)"])
    assert redactor.redact_text("a tok-0123abcd b") == f"a {MASK} b"
    assert redactor.redact_text("license=ABC123 end") == f"license={MASK} end"


def test_counts_replacements() -> None:
    text, count = Redactor().redact_text_counted("postgresql://a:b1@h AKIAIOSFODNN7EXAMPLE")
    assert count == 2
    assert "b1@" not in text


def test_redact_obj_recursive_and_does_not_mutate() -> None:
    redactor = Redactor()
    redactor.register("registered-secret")
    original = {
        "dsn": "postgresql://u:pw1234@h/db",
        "nested": [{"password": "plain"}, ("registered-secret", 5)],
        "count": 3,
        "ok": True,
        "secretsmanager_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
    }
    before = json.dumps(original, default=list)
    out = redactor.redact_obj(original)
    assert out["dsn"] == f"postgresql://u:{MASK}@h/db"
    assert out["nested"][0]["password"] == MASK
    assert out["nested"][1] == (MASK, 5)
    assert out["count"] == 3 and out["ok"] is True
    assert out["secretsmanager_arn"].startswith("arn:aws:secretsmanager")  # a reference, not a secret
    assert json.dumps(original, default=list) == before


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("db_password", True),
        ("api_key", True),
        ("token", True),
        ("aws_secret_access_key", True),
        ("secretsmanager_arn", False),
        ("source_dsn_ref", False),
        ("bypass", False),
        ("key_prefix", False),
        ("region", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def _notebook_with_secrets(secret: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"dsn": f"postgresql://u:{secret}@h/db", "env": "sandbox"}}
    params = nbformat.v4.new_code_cell(f'dsn = "postgresql://u:{secret}@h/db"')
    params.metadata["tags"] = ["injected-parameters"]
    out = nbformat.v4.new_code_cell(
        "show()",
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=f"connecting with password={secret}\n"),
            nbformat.v4.new_output(
                "execute_result",
                data={
                    "text/plain": f"'{secret}'",
                    "text/html": f"<td>{secret}</td>",
                    "application/json": {"conn": {"secret_value": secret}},
                    "image/png": "iVBORw0KGgo=",
                },
                execution_count=1,
            ),
            nbformat.v4.new_output(
                "error",
                ename="OperationalError",
                evalue=f"could not connect to postgresql://u:{secret}@h/db",
                traceback=[f"\x1b[0;31mOperationalError\x1b[0m: password {secret} rejected"],
            ),
        ],
    )
    nb.cells = [params, out]
    return nb


def test_redact_notebook_covers_every_output_kind() -> None:
    secret = "N0tebook-Secret-42"
    redact.register_secret(secret)
    nb = _notebook_with_secrets(secret)
    count = redact.redact_notebook(nb)
    dumped = nbformat.writes(nb)
    assert secret not in dumped
    assert count >= 7
    outputs = nb.cells[1].outputs
    assert outputs[1]["data"]["image/png"] == "iVBORw0KGgo="  # images untouched
    assert outputs[1]["data"]["text/html"] == f"<td>{MASK}</td>"
    assert outputs[2]["ename"] == "OperationalError"
    nbformat.validate(nb)


def test_redact_notebook_without_registration_still_hides_shaped_secrets() -> None:
    nb = _notebook_with_secrets("shapeOnly99")
    redact.redact_notebook(nb)
    dumped = nbformat.writes(nb)
    # DSN passwords and password= are recognised by shape; the bare text/plain repr is not.
    assert f"u:{MASK}@h" in dumped
    assert "password=shapeOnly99" not in dumped
    assert "'shapeOnly99'" in dumped


def test_redact_notebook_handles_list_sources() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell()
    cell["source"] = ["x = 1\n", "dsn = 'postgresql://u:listpw99@h/db'\n"]
    nb.cells = [cell]
    assert redact.redact_notebook(nb) == 1
    assert "listpw99" not in "".join(nb.cells[0]["source"])


def test_logging_filter_redacts_messages_args_and_tracebacks() -> None:
    secret = "L0gged-Secret-77"
    redact.register_secret(secret)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    install_log_filter(handler)
    logger = logging.getLogger("runbook_lib.test_redact_child")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connecting to %s with %s", "postgresql://u:argpw99@h/db", secret)
        try:
            raise RuntimeError(f"boom {secret}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert secret not in text
    assert "argpw99" not in text
    assert "connecting to postgresql://u:" in text
    assert "RuntimeError: boom" in text
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    install_log_filter(handler)  # idempotent
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
