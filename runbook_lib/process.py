"""Run subprocesses with a typed result and their output streamed to logging.

Why one helper: every tool the runbook drives (terraform, pg_dump, initdb …)
must log what it prints, never hang forever, and fail with an error that keeps
the command, the exit code and stderr. Nothing here parses human output.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from runbook_lib.errors import CommandError


@dataclass(frozen=True)
class CommandResult:
    """What a finished subprocess left behind."""

    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_command(
    command: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    check: bool = True,
    logger_name: str = "runbook_lib.process",
    on_stdout_line: Callable[[str], None] | None = None,
    input_text: str | None = None,
    error_cls: type[CommandError] = CommandError,
) -> CommandResult:
    """Run ``command``, streaming each output line to a logger and an optional callback.

    Args:
        command: argv; never a shell string.
        cwd: working directory.
        env: extra environment variables, layered over ``os.environ``.
        timeout: seconds before the process is killed and ``CommandError`` raised.
        check: raise ``error_cls`` on a non-zero exit.
        logger_name: where the lines go, e.g. ``runbook_lib.terraform.runner``.
        on_stdout_line: called with each stdout line as it arrives (progress bars).
        input_text: text written to stdin.
        error_cls: the ``CommandError`` subclass to raise.

    Returns:
        The finished process as a ``CommandResult``.
    """
    log = logging.getLogger(logger_name)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    log.debug("run %s (cwd=%s)", " ".join(command), cwd)
    proc = subprocess.Popen(
        list(command),
        cwd=str(cwd) if cwd else None,
        env=full_env,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    out_lines: list[str] = []
    err_lines: list[str] = []

    def pump_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out_lines.append(line)
            log.debug("%s", line.rstrip("\n"))
            if on_stdout_line is not None:
                on_stdout_line(line.rstrip("\n"))

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            log.debug("stderr: %s", line.rstrip("\n"))

    threads = [threading.Thread(target=pump_stdout, daemon=True), threading.Thread(target=pump_stderr, daemon=True)]
    for t in threads:
        t.start()
    if input_text is not None:
        assert proc.stdin is not None
        proc.stdin.write(input_text)
        proc.stdin.close()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        for t in threads:
            t.join(timeout=5)
        raise error_cls(command, -9, "".join(err_lines) + f"\n(timed out after {timeout}s)") from None
    for t in threads:
        t.join()
    result = CommandResult(tuple(command), proc.returncode, "".join(out_lines), "".join(err_lines))
    if check and not result.ok:
        raise error_cls(command, result.returncode, result.stderr or result.stdout)
    return result
