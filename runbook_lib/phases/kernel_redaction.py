"""Redact inside the notebook kernel: every message the kernel sends leaves it already redacted.

Why here and not only in the runner: the kernel is the process that resolves secrets (database
passwords, Terraform sensitive outputs), so only the kernel's redactor knows them all. Papermill
writes the executing notebook after every cell from what the kernel sends; redacting each message
before it is serialised means no cell output, traceback or execute reply carries a registered secret
(in any of its escaped forms) or a recognisable credential out of the kernel - not into the
in-progress notebook, not into the runner's ``-v`` log, not into a notebook an operator saves in
JupyterLab.

``runbook run`` installs this when each kernel starts (:data:`KERNEL_STARTUP_ARGUMENT`);
:func:`runbook_lib.phases.session.open_phase` installs it too, for notebooks run by hand.
"""

from __future__ import annotations

from typing import Any

from runbook_lib import redact

#: IPython option that runs :func:`install` in a kernel before its first cell (nbclient passes it on).
KERNEL_STARTUP_ARGUMENT = (
    "--IPKernelApp.exec_lines="
    "import runbook_lib.phases.kernel_redaction as _runbook_kr; _runbook_kr.install(); del _runbook_kr"
)

_MARK = "_runbook_redacting"


def redact_message(msg: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Jupyter message whose ``content`` and ``metadata`` are passed through the redactor."""
    out = msg
    for part in ("content", "metadata"):
        value = msg.get(part)
        if isinstance(value, dict) and value:
            redacted = redact.redact_obj(value)
            if redacted != value:
                out = {**out, part: redacted}
    return out


def in_kernel() -> bool:
    """Whether this process is an IPython kernel (a notebook), not a terminal or the test runner."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def install(*, force: bool = False) -> bool:
    """Make this kernel redact every message it sends; idempotent.

    Wraps ``jupyter_client.session.Session.serialize``, the one call every outgoing message passes
    through (streams, display data, execute results, errors, execute replies).

    Args:
        force: install even outside a kernel (tests).

    Returns:
        True when the kernel redacts its messages (already did, or does now).
    """
    if not (force or in_kernel()):
        return False
    from jupyter_client.session import Session

    original = Session.serialize
    if getattr(original, _MARK, False):
        return True

    def serialize(self: Session, msg: dict[str, Any], ident: Any = None) -> list[bytes]:
        return original(self, redact_message(msg), ident)

    setattr(serialize, _MARK, True)
    serialize.__wrapped__ = original  # type: ignore[attr-defined]
    Session.serialize = serialize  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """Undo :func:`install` (tests)."""
    from jupyter_client.session import Session

    current = Session.serialize
    if getattr(current, _MARK, False):
        Session.serialize = current.__wrapped__  # type: ignore[attr-defined,method-assign]


__all__ = ["KERNEL_STARTUP_ARGUMENT", "in_kernel", "install", "redact_message", "uninstall"]
