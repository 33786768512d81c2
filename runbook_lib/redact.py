"""Remove secrets from text, objects, notebooks and log records before they become evidence.

Why a process-wide redactor: a secret resolved in one place (say, a database
DSN read from Secrets Manager) may later show up anywhere - a traceback, a
pandas repr, a log line, an executed notebook. Every resolved value is
registered here once (:func:`register_secret`), and every writer of evidence
(the ledger, the notebook exporter, the log filter) passes its text through the
same :class:`Redactor`, so nothing that was resolved is written in clear.

Besides registered values the redactor recognises, without being told:
AWS access key IDs (``AKIA…``/``ASIA…``), secret access keys and session tokens
written as ``aws_secret_access_key = …``, passwords inside URLs/DSNs
(``scheme://user:PASSWORD@host``), ``password=…`` in libpq strings and query
strings, and JSON members named like a secret. Extra regular expressions can be
added from ``evidence.redact_patterns`` in the params file.

A registered value is also recognised in the spellings the writers of evidence give it
(:func:`escaped_forms`): HTML entities (pandas tables, nbconvert), CSV doubled quotes, JSON and
Python-repr escapes (``\\"``, ``\\n``, ``\\u0026``), URL encoding.

Shared between processes: a notebook kernel resolves secrets the ``runbook run`` process never sees.
When :data:`DIGESTS_ENV` names a file (the runner sets it for its kernels, in the run's private
working area), every registration appends the salted sha256 of each form there - never the value -
and the runner loads that file (:meth:`Redactor.load_digests`) so it recognises what the kernel saw.

What it cannot do: recognise a secret it was never told about that has no
recognisable shape (a bare random password printed on its own). Register it.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

#: What every secret is replaced with.
MASK = "[REDACTED]"

#: Registered values shorter than this are not redacted (they would blank out ordinary words).
MIN_SECRET_LENGTH = 4

#: Names the file where registrations append their forms' digests (set by the runner for its kernels).
DIGESTS_ENV = "RUNBOOK_SECRET_DIGESTS"

#: Loggers that log HTTP requests and responses at DEBUG; their bodies are withheld (see :class:`RedactingFilter`).
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")

#: What a withheld request or response body is logged as.
WITHHELD_BODY = "[body withheld by runbook_lib.redact: it may carry secrets]"

#: Key names that hold secrets when their value is a plain string (``password``, ``db_token`` …).
SECRET_KEY_RE = re.compile(
    r"((^|_)(pass|pw|pwd)$|pass(word|wd|phrase)|secret|token|access_?key|private_?key|api_?key|credential)",
    re.IGNORECASE,
)

#: Keys that look secret by name but only ever hold a *reference* to a secret.
SECRET_REFERENCE_KEYS = frozenset({"env", "secretsmanager_arn", "ssm_parameter", "sandbox", "json_key"})

_BUILTIN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # scheme://user:PASSWORD@host - the password is group "secret".
    (
        "url-password",
        re.compile(r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@'\"]+:)(?P<secret>[^\s@/'\"]+)(?=@)"),
    ),
    # libpq key/value strings, query strings and shell assignments: password=..., PGPASSWORD=...
    (
        "password-assignment",
        re.compile(
            r"(?P<pre>\b(?:pg)?pass(?:word|wd)\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s'\";&]+)",
            re.IGNORECASE,
        ),
    ),
    # JSON/YAML/Python-repr members named like a secret: "password": "x", 'token': 'x', password: x
    (
        "secret-member",
        re.compile(
            r"(?P<pre>([\"'])(?:[a-z0-9_]*_)?(?:password|passwd|secret|secret_?key|token|api_?key|private_?key)\2"
            r"\s*:\s*([\"']))(?P<secret>(?:(?!\3)[^\\\n]|\\.)*)(?=\3)",
            re.IGNORECASE,
        ),
    ),
    # AWS access key IDs (long-term AKIA, temporary ASIA, and the rarer ABIA/ACCA).
    ("aws-access-key-id", re.compile(r"(?P<secret>\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b)")),
    # aws_secret_access_key = X / AWS_SECRET_ACCESS_KEY=X / "SecretAccessKey": "X"
    (
        "aws-secret-access-key",
        re.compile(
            r"(?P<pre>(?:aws_?)?secret_?access_?key[\"']?\s*[:=]\s*[\"']?)(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
            re.IGNORECASE,
        ),
    ),
    # aws_session_token = X / "SessionToken": "X"
    (
        "aws-session-token",
        re.compile(
            r"(?P<pre>(?:aws_?)?session_?token[\"']?\s*[:=]\s*[\"']?)(?P<secret>[A-Za-z0-9/+=]{16,})",
            re.IGNORECASE,
        ),
    ),
)


def is_secret_key(name: str) -> bool:
    """Whether a mapping key names a secret value (not a reference field such as ``secretsmanager_arn``)."""
    lowered = name.lower()
    if lowered in SECRET_REFERENCE_KEYS or lowered.endswith("_ref") or lowered.endswith("_refs"):
        return False
    return bool(SECRET_KEY_RE.search(lowered))


_JSON_HTML_SAFE = str.maketrans({"&": "\\u0026", "<": "\\u003c", ">": "\\u003e", "'": "\\u0027"})
_PANDAS_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _html_forms(text: str) -> set[str]:
    """``text`` as HTML writers escape it: stdlib, markupsafe (``&#34;``/``&#39;``), XML attributes, pandas."""
    full = html.escape(text, quote=True)  # & < > " '  ->  &amp; &lt; &gt; &quot; &#x27;
    bare = html.escape(text, quote=False)  # & < > only (pandas to_html, nbconvert's ANSI filter)
    return {
        full,
        full.replace("&#x27;", "&#39;"),
        full.replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        full.replace("&#x27;", "&apos;"),
        bare,
        bare.replace('"', "&quot;"),
    }


def escaped_forms(value: str) -> set[str]:
    """Every spelling of ``value`` a writer of evidence may produce, ``value`` itself included.

    Why: a secret containing ``& < > " '`` or a newline is no longer the same string once pandas renders
    it as HTML (``&amp;``), ``to_csv`` quotes it (``""``), ``json.dumps`` or a log line escapes it
    (``\\"``, ``\\n``, ``\\u0026``), botocore logs a response body as a bytes repr, or it is put in a URL
    (``%26``). Redacting the raw value alone would let each of those through.
    """
    json_ascii = json.dumps(value)[1:-1]
    json_utf8 = json.dumps(value, ensure_ascii=False)[1:-1]
    texts = {
        value,
        json_ascii,
        json_utf8,
        json_ascii.translate(_JSON_HTML_SAFE),
        json_utf8.translate(_JSON_HTML_SAFE),
        value.translate(_PANDAS_ESCAPES),  # pandas' text repr of a cell
        repr(value)[1:-1],
    }
    forms = set(texts)
    for text in texts:
        forms |= _html_forms(text)
    forms |= {
        value.replace('"', '""'),  # CSV
        repr(value.encode("utf-8"))[2:-1],
        repr(json_ascii.encode("utf-8"))[2:-1],  # a JSON response body logged as bytes
        quote(value, safe=""),
        quote(value),
        quote_plus(value, safe=""),
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Replaces secrets with :data:`MASK`; thread-safe, shared process-wide (see :func:`get_redactor`).

    Args:
        extra_patterns: regular expressions to redact besides the built-in shapes. The whole match is
            replaced, or only the named group ``secret`` if the pattern has one.
    """

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._values: set[str] = set()  # the secrets and their escaped forms
        self._values_re: re.Pattern[str] | None = None
        self._digests = _Digests()
        self._extra: dict[str, re.Pattern[str]] = {}
        for pattern in extra_patterns:
            self.add_pattern(pattern)

    # -- configuration -------------------------------------------------------------------------
    def register(self, value: str | None) -> bool:
        """Remember a resolved secret, in each of its :func:`escaped_forms`, so every later output hides it.

        Values shorter than :data:`MIN_SECRET_LENGTH` are ignored with a warning: masking ``"pw"``
        everywhere would garble every output while protecting nothing.

        Returns:
            True when the value was not registered before.
        """
        if not value:
            return False
        value = str(value)
        if len(value) < MIN_SECRET_LENGTH:
            logging.getLogger("runbook_lib.redact").warning(
                "a registered secret is shorter than %d characters and will not be redacted",
                MIN_SECRET_LENGTH,
            )
            return False
        with self._lock:
            if value in self._secrets:
                return False
            self._secrets.add(value)
            self._values |= escaped_forms(value)
            ordered = sorted(self._values, key=len, reverse=True)
            self._values_re = re.compile("|".join(re.escape(v) for v in ordered))
        return True

    def load_digests(self, path: str | Path) -> int:
        """Recognise the secrets another process registered, from its digest file (see :data:`DIGESTS_ENV`).

        Returns:
            How many digests were read (0 when the file does not exist yet).
        """
        loaded = _read_digest_file(Path(path))
        with self._lock:
            for salt, length, head, digest in loaded:
                self._digests.add(salt, length, head, digest)
        return len(loaded)

    def add_pattern(self, pattern: str) -> None:
        """Add a regular expression to redact (raises ``re.error`` when it does not compile)."""
        compiled = re.compile(pattern)
        with self._lock:
            self._extra[pattern] = compiled

    def clear(self) -> None:
        """Forget registered values and extra patterns (tests; a new run in a long-lived kernel)."""
        with self._lock:
            self._secrets.clear()
            self._values.clear()
            self._values_re = None
            self._digests = _Digests()
            self._extra.clear()

    @property
    def registered_count(self) -> int:
        """How many secrets were registered (each stands for several :func:`escaped_forms`)."""
        return len(self._secrets)

    # -- redaction -----------------------------------------------------------------------------
    def redact_text_counted(self, text: str) -> tuple[str, int]:
        """Redact ``text`` and say how many secrets were replaced."""
        if not text:
            return text, 0
        count = 0
        with self._lock:
            values_re = self._values_re
            digests = self._digests
            extra = list(self._extra.values())
        if values_re is not None:
            text, n = values_re.subn(MASK, text)
            count += n
        if digests:
            text, n = digests.redact(text)
            count += n
        for _, pattern in _BUILTIN_PATTERNS:
            text, n = _sub_secret(pattern, text)
            count += n
        for pattern in extra:
            text, n = _sub_secret(pattern, text)
            count += n
        return text, count

    def redact_text(self, text: str) -> str:
        """``text`` with every known secret replaced by :data:`MASK`."""
        return self.redact_text_counted(text)[0]

    def redact_obj(self, obj: Any) -> Any:
        """A copy of ``obj`` (dicts, lists, tuples, strings, scalars) with secrets masked.

        Mapping members whose key names a secret (``password``, ``api_token`` …) are masked whole when
        their value is a string, whatever it looks like.
        """
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, Mapping):
            out: dict[Any, Any] = {}
            for key, value in obj.items():
                if isinstance(key, str) and is_secret_key(key) and isinstance(value, (str, bytes)) and value:
                    out[key] = MASK
                else:
                    out[key] = self.redact_obj(value)
            return out
        if isinstance(obj, list):
            return [self.redact_obj(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self.redact_obj(v) for v in obj)
        return obj

    def redact_notebook(self, nb: Any) -> int:
        """Redact an nbformat v4 notebook **in place**; returns how many secrets were replaced.

        Covers cell sources (including papermill's injected-parameters cell), stream text, every
        text-like MIME bundle entry (text/plain, text/html, text/markdown, text/latex, JSON …), error
        ``ename``/``evalue``/``traceback`` and the notebook and cell metadata (papermill records the
        parameters and the exception there). Images are left alone.
        """
        total = 0
        metadata = nb.get("metadata")
        if isinstance(metadata, dict) and metadata:
            redacted = self.redact_obj(dict(metadata))
            total += _count_changes(metadata, redacted)
            _replace_mapping(metadata, redacted)
        for cell in nb.get("cells", []):
            total += self._redact_field(cell, "source")
            cell_meta = cell.get("metadata")
            if isinstance(cell_meta, dict) and cell_meta:
                redacted = self.redact_obj(dict(cell_meta))
                total += _count_changes(cell_meta, redacted)
                _replace_mapping(cell_meta, redacted)
            for output in cell.get("outputs", []) or []:
                total += self._redact_output(output)
        return total

    def _redact_output(self, output: dict[str, Any]) -> int:
        count = 0
        kind = output.get("output_type")
        if kind == "stream":
            count += self._redact_field(output, "text")
        elif kind in ("execute_result", "display_data", "update_display_data"):
            data = output.get("data", {})
            for mime in list(data):
                if mime.startswith("image/") and mime != "image/svg+xml":
                    continue
                value = data[mime]
                if isinstance(value, (dict, list)) and mime.endswith("json"):
                    redacted = self.redact_obj(value)
                    count += _count_changes(value, redacted)
                    data[mime] = redacted
                else:
                    count += self._redact_field(data, mime)
        elif kind == "error":
            count += self._redact_field(output, "ename")
            count += self._redact_field(output, "evalue")
            traceback = output.get("traceback") or []
            new_tb = []
            for line in traceback:
                text, n = self.redact_text_counted(line)
                count += n
                new_tb.append(text)
            output["traceback"] = new_tb
        return count

    def _redact_field(self, container: dict[str, Any], key: str) -> int:
        value = container.get(key)
        if isinstance(value, str):
            text, n = self.redact_text_counted(value)
            container[key] = text
            return n
        if isinstance(value, list):
            # nbformat allows multi-line strings stored as a list of lines; join so secrets
            # spanning nothing but one line are still found, then keep the list shape.
            joined = "".join(str(v) for v in value)
            text, n = self.redact_text_counted(joined)
            if n:
                container[key] = text.splitlines(keepends=True)
            return n
        return 0


class _Digests:
    """Salted sha256 digests of secret forms: recognises a value without holding it.

    Each form is recorded with its length, the digest of the whole form and a short digest of its
    first :data:`MIN_SECRET_LENGTH` characters (its "head"). Matching hashes the head-long window at
    each position of the text (about a microsecond per character) and the whole window only where a
    head matches, so it suits what the runner copies into evidence, not bulk data.
    """

    def __init__(self) -> None:
        # salt -> (head digest -> lengths of forms starting so, length -> whole-form digests)
        self._groups: dict[bytes, tuple[dict[bytes, set[int]], dict[int, set[bytes]]]] = {}

    def __bool__(self) -> bool:
        return bool(self._groups)

    def add(self, salt: bytes, length: int, head: bytes, digest: bytes) -> None:
        heads, whole = self._groups.get(salt, ({}, {}))
        heads = {**heads, head: {*heads.get(head, set()), length}}
        whole = {**whole, length: {*whole.get(length, set()), digest}}
        # Replace rather than mutate: a reader holding the old mappings keeps a consistent view.
        self._groups = {**self._groups, salt: (heads, whole)}

    def redact(self, text: str) -> tuple[str, int]:
        spans: list[tuple[int, int]] = []
        for salt, (heads, whole) in self._groups.items():
            salted = hashlib.sha256(salt)
            for start in range(len(text) - MIN_SECRET_LENGTH + 1):
                lengths = heads.get(_head_digest(salted, text[start : start + MIN_SECRET_LENGTH]))
                for length in lengths or ():
                    if start + length > len(text):
                        continue
                    window = salted.copy()
                    window.update(_utf8(text[start : start + length]))
                    if window.digest() in whole[length]:
                        spans.append((start, start + length))
        if not spans:
            return text, 0
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        pieces, last = [], 0
        for start, end in merged:
            pieces += [text[last:start], MASK]
            last = end
        pieces.append(text[last:])
        return "".join(pieces), len(merged)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _head_digest(salted: Any, head: str) -> bytes:
    digest = salted.copy()
    digest.update(b"\0head\0" + _utf8(head))
    return digest.digest()[:8]


def _form_digest(salt: bytes, form: str) -> bytes:
    return hashlib.sha256(salt + _utf8(form)).digest()


_DIGEST_FORMAT = "runbook-secret-digests/1"


def _digest_file_salt(path: Path) -> bytes:
    """The file's salt; creates the file (mode 0600, a fresh salt on its first line) when it does not exist.

    The header is written to a temporary file and linked into place, so a second process never reads a
    half-written first line.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps({"format": _DIGEST_FORMAT, "salt": secrets.token_hex(16)}) + "\n"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, header.encode("utf-8"))
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    with path.open(encoding="utf-8") as handle:
        return bytes.fromhex(json.loads(handle.readline())["salt"])


def _append_digests(path: Path, forms: Iterable[str]) -> None:
    """Append the salted digest and length of each form (one JSON line each); the forms never reach the file."""
    salt = _digest_file_salt(path)
    salted = hashlib.sha256(salt)
    lines = "".join(
        json.dumps(
            {
                "n": len(form),
                "head": _head_digest(salted, form[:MIN_SECRET_LENGTH]).hex(),
                "sha256": _form_digest(salt, form).hex(),
            }
        )
        + "\n"
        for form in sorted(forms)
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, lines.encode("utf-8"))  # one write per registration: O_APPEND keeps lines whole
    finally:
        os.close(fd)


def _read_digest_file(path: Path) -> list[tuple[bytes, int, bytes, bytes]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    if not lines:
        return []
    salt = bytes.fromhex(json.loads(lines[0])["salt"])
    out = []
    for line in lines[1:]:
        try:
            entry = json.loads(line)
            out.append((salt, int(entry["n"]), bytes.fromhex(entry["head"]), bytes.fromhex(entry["sha256"])))
        except (ValueError, KeyError, TypeError):  # a line cut short by a killed process
            continue
    return out


def _sub_secret(pattern: re.Pattern[str], text: str) -> tuple[str, int]:
    if "secret" in pattern.groupindex:

        def repl(m: re.Match[str]) -> str:
            start, end = m.span("secret")
            return m.string[m.start() : start] + MASK + m.string[end : m.end()]

        return pattern.subn(repl, text)
    return pattern.subn(MASK, text)


def _count_changes(before: Any, after: Any) -> int:
    """How many leaves differ between two JSON-like structures (a rough redaction count)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        return sum(_count_changes(before[k], after.get(k)) for k in before)
    if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
        return sum(_count_changes(b, a) for b, a in zip(before, after, strict=False))
    return 0 if before == after else 1


def _replace_mapping(target: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        target[key] = value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (arguments merged in) and traceback text.

    Attach it to **handlers** (logger filters do not see records from child loggers); see
    :func:`install_log_filter`.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self._redactor or get_redactor()
        _withhold_wire_bodies(record)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it for the formatter to complain about
            return True
        record.msg = redactor.redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.redact_text(record.stack_info)
        return True


def _is_body(arg: Any) -> bool:
    return isinstance(arg, (bytes, bytearray, memoryview)) or (isinstance(arg, Mapping) and "body" in arg)


def _withhold_wire_bodies(record: logging.LogRecord) -> None:
    """Replace request/response bodies in botocore/urllib3 DEBUG records with :data:`WITHHELD_BODY`.

    Why: at DEBUG botocore logs ``Making request for ... with params: {... 'body': ...}`` and
    ``Response body: b'...'`` - a ``GetSecretValue`` answer or a decrypted ``GetParameter`` in clear, and
    ``PutSecretValue``/``CreateSecret`` requests too. Nothing ties a response body to its operation, so
    every body is withheld; operation names, URLs and status codes stay for debugging.
    """
    if not record.name.startswith(WIRE_LOGGERS) or not isinstance(record.args, tuple):
        return
    if any(_is_body(arg) for arg in record.args):
        record.args = tuple(WITHHELD_BODY if _is_body(arg) else arg for arg in record.args)


def install_log_filter(*handlers: logging.Handler) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` to the given handlers, or to every root-logger handler.

    Returns:
        The filter, so a caller can attach it to handlers it creates later.
    """
    log_filter = RedactingFilter()
    targets = handlers or tuple(logging.getLogger().handlers)
    for handler in targets:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(log_filter)
    return log_filter


_DEFAULT = Redactor()


def get_redactor() -> Redactor:
    """The process-wide redactor every evidence writer uses."""
    return _DEFAULT


def register_secret(value: str | None) -> None:
    """Register a resolved secret with the process-wide redactor.

    When :data:`DIGESTS_ENV` names a file (a kernel or child process of ``runbook run``), the digests of
    the value's forms are appended there so the runner can redact what this process saw. A failure to
    write them is logged, not raised: this process still redacts everything it writes itself.
    """
    if not _DEFAULT.register(value):
        return
    sink = os.environ.get(DIGESTS_ENV)
    if sink:
        try:
            _append_digests(Path(sink), escaped_forms(str(value)))
        except (OSError, ValueError, KeyError) as error:
            logging.getLogger("runbook_lib.redact").warning(
                "cannot share a secret's digests with the runner via %s: %s", sink, type(error).__name__
            )


def add_patterns(patterns: Iterable[str]) -> None:
    """Add extra regular expressions (``evidence.redact_patterns``) to the process-wide redactor."""
    for pattern in patterns:
        _DEFAULT.add_pattern(pattern)


def redact_text(text: str) -> str:
    """:meth:`Redactor.redact_text` on the process-wide redactor."""
    return _DEFAULT.redact_text(text)


def redact_obj(obj: Any) -> Any:
    """:meth:`Redactor.redact_obj` on the process-wide redactor."""
    return _DEFAULT.redact_obj(obj)


def redact_notebook(nb: Any) -> int:
    """:meth:`Redactor.redact_notebook` on the process-wide redactor (in place; returns the count)."""
    return _DEFAULT.redact_notebook(nb)
