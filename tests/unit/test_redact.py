"""runbook_lib.redact: secrets never reach evidence, logs or notebooks in clear."""

from __future__ import annotations

import io
import json
import logging

import nbformat
import pytest

from runbook_lib import redact
from runbook_lib.redact import MASK, RedactingFilter, Redactor, install_log_filter, is_secret_key

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("clean_redactor")]

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


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


# -- escaped forms (issue #14: a secret with & < > " ' and a newline) --------------------------------------------
TRICKY = "Rb-&<tag>\"q'\nZeta-77x"


def _writers() -> dict[str, str]:
    import html
    import urllib.parse

    import pandas as pd

    frame = pd.DataFrame({"value": [TRICKY]})
    return {
        "html entities (&amp; &lt; &gt; &quot; &#x27;)": html.escape(TRICKY),
        "html &#39; and &#34; (markupsafe)": html.escape(TRICKY).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        "pandas to_html": frame.to_html(),
        "pandas _repr_html_": frame._repr_html_(),
        "pandas text repr": repr(frame),
        "pandas to_csv": frame.to_csv(index=False),
        "json.dumps": json.dumps({"value": TRICKY}),
        "json html-safe (\\u0026)": json.dumps(TRICKY)
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("'", "\\u0027"),
        "python repr": repr({"value": TRICKY}),
        "bytes repr of a JSON body": repr(json.dumps({"SecretString": TRICKY}).encode()),
        "url quote": urllib.parse.quote(TRICKY, safe=""),
        "url quote_plus": urllib.parse.urlencode({"v": TRICKY}),
        "html of a JSON string": html.escape(json.dumps(TRICKY)),
    }


@pytest.mark.parametrize("writer", sorted(_writers()))
def test_registered_secret_is_redacted_in_each_escaped_form(writer: str) -> None:
    redactor = Redactor()
    redactor.register(TRICKY)
    text = _writers()[writer]
    out = redactor.redact_text(text)
    assert MASK in out
    for piece in ("Zeta-77x", "tag", "Rb-"):
        assert piece not in out, f"{writer}: {out!r}"


def test_escaped_forms_cover_every_escape_named_in_the_issue() -> None:
    forms = redact.escaped_forms(TRICKY)
    joined = "\n".join(forms)
    for escape in ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;", '""', '\\"', "\\n", "\\u0026", "%26", "%0A"):
        assert escape in joined, escape
    assert TRICKY in forms
    assert redact.get_redactor().registered_count == 0  # forms are computed, nothing registered


def test_registered_count_counts_secrets_not_forms() -> None:
    redactor = Redactor()
    assert redactor.register(TRICKY) is True
    assert redactor.register(TRICKY) is False
    assert redactor.registered_count == 1


# -- digests shared between a kernel and the runner -------------------------------------------------------------
def test_digest_file_lets_another_process_redact_without_holding_the_value(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import html
    import os
    import stat

    sink = tmp_path / "work" / "secret-digests.jsonl"
    monkeypatch.setenv(redact.DIGESTS_ENV, str(sink))
    redact.register_secret(TRICKY)  # "the kernel"
    redact.register_secret(TRICKY)  # a second registration adds nothing
    content = sink.read_text()
    for form in redact.escaped_forms(TRICKY):
        assert form not in content
    assert "Zeta" not in content and "tag" not in content
    assert stat.S_IMODE(os.stat(sink).st_mode) == 0o600
    lines = content.splitlines()
    assert json.loads(lines[0])["salt"] and len(lines) == 1 + len(redact.escaped_forms(TRICKY))

    runner = Redactor()  # "the runner": never saw the value
    assert runner.redact_text(f"<td>{html.escape(TRICKY)}</td>") != f"<td>{MASK}</td>"
    assert runner.load_digests(sink) == len(lines) - 1
    assert runner.redact_text(f"<td>{html.escape(TRICKY)}</td>") == f"<td>{MASK}</td>"
    assert runner.redact_text(f"x {TRICKY} y {json.dumps(TRICKY)}") == f'x {MASK} y "{MASK}"'
    assert runner.redact_text("nothing secret here") == "nothing secret here"
    assert runner.load_digests(tmp_path / "missing.jsonl") == 0


def test_digest_file_survives_a_line_cut_short(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = tmp_path / "d.jsonl"
    monkeypatch.setenv(redact.DIGESTS_ENV, str(sink))
    redact.register_secret("Cut-Short-Secret-1")
    with sink.open("a") as handle:
        handle.write('{"n": 12, "sha256": "ab')  # a killed process's half line
    runner = Redactor()
    runner.load_digests(sink)
    assert runner.redact_text("a Cut-Short-Secret-1 b") == f"a {MASK} b"


# -- logs: botocore at DEBUG, and the CLI's logging set-up --------------------------------------------------------
def _capture_botocore_debug(log_filter: bool) -> str:
    import boto3
    from moto import mock_aws

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    if log_filter:
        install_log_filter(handler)
    botocore_logger = logging.getLogger("botocore")
    before = botocore_logger.level
    botocore_logger.addHandler(handler)
    botocore_logger.setLevel(logging.DEBUG)
    try:
        with mock_aws():
            sm = boto3.client("secretsmanager", region_name="eu-west-1")
            arn = sm.create_secret(Name="db", SecretString=TRICKY)["ARN"]
            sm.get_secret_value(SecretId=arn)
            ssm = boto3.client("ssm", region_name="eu-west-1")
            ssm.put_parameter(Name="/x/pw", Value=TRICKY, Type="SecureString")
            ssm.get_parameter(Name="/x/pw", WithDecryption=True)
    finally:
        botocore_logger.removeHandler(handler)
        botocore_logger.setLevel(before)
    return stream.getvalue()


def test_log_filter_withholds_botocore_bodies_at_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    unfiltered = _capture_botocore_debug(log_filter=False)
    assert "Zeta-77x" in unfiltered  # without the filter botocore logs the secret: the test can fail
    text = _capture_botocore_debug(log_filter=True)  # the secret was never registered: shapes do not help
    assert "Zeta-77x" not in text and "tag" not in text
    assert redact.WITHHELD_BODY in text
    assert "GetSecretValue" in text and "GetParameter" in text  # what was called stays visible


def test_cli_logging_redacts_every_handler_and_keeps_http_loggers_at_info() -> None:
    from runbook_lib.cli import configure_logging

    root = logging.getLogger()
    for handler in root.handlers:
        for existing in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(existing)
    levels = {name: logging.getLogger(name).level for name in (*redact.WIRE_LOGGERS, "")}
    try:
        configure_logging(verbose=True)
        assert root.handlers
        assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers)
        for name in redact.WIRE_LOGGERS:
            assert logging.getLogger(name).getEffectiveLevel() == logging.INFO, name
    finally:
        for name, level in levels.items():
            logging.getLogger(name or None).setLevel(level)


def test_every_cli_command_runs_behind_the_log_filter(tmp_path) -> None:
    from runbook_lib.cli import main

    root = logging.getLogger()
    for handler in root.handlers:
        for existing in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(existing)
    assert main(["run", "--env", "nope", "--dry-run", "--params-dir", str(tmp_path)]) == 2
    assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers)


def test_resolved_dsn_password_is_registered_as_written_and_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    from runbook_lib.params import SecretRef, resolve_secret

    monkeypatch.setenv("RB_TEST_DSN", "postgresql://app:p%40ss-Word9@db:5432/platform")
    resolve_secret(SecretRef(env="RB_TEST_DSN"))
    assert redact.redact_text("FATAL: password p@ss-Word9 rejected") == f"FATAL: password {MASK} rejected"
    assert redact.redact_text("url-encoded p%40ss-Word9") == f"url-encoded {MASK}"
