"""Run subprocesses with a typed result and their output streamed to logging.

Why one helper: every tool the runbook drives (terraform, pg_dump, initdb …)
must log what it prints, never hang forever, and fail with an error that keeps
the command, the exit code and stderr. Nothing here parses human output.

A command that runs past its timeout is asked to stop before it is killed: SIGINT
first (Terraform then finishes the resource operations in flight, writes its
state and releases its state lock), SIGTERM after ``interrupt_grace_s``, SIGKILL
only after ``terminate_grace_s`` more. A SIGKILLed Terraform leaves its state
lock held and the resources it created unrecorded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
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
    interrupt_grace_s: float = 10.0,
    terminate_grace_s: float = 5.0,
) -> CommandResult:
    """Run ``command``, streaming each output line to a logger and an optional callback.

    Args:
        command: argv; never a shell string.
        cwd: working directory.
        env: extra environment variables, layered over ``os.environ``.
        timeout: seconds before the process is stopped (SIGINT, then SIGTERM, then SIGKILL) and
            ``error_cls`` raised with ``timed_out_after`` and ``stopped_with`` set.
        check: raise ``error_cls`` on a non-zero exit.
        logger_name: where the lines go, e.g. ``runbook_lib.terraform.runner``.
        on_stdout_line: called with each stdout line as it arrives (progress bars).
        input_text: text written to stdin.
        error_cls: the ``CommandError`` subclass to raise.
        interrupt_grace_s: after the timeout's SIGINT, how long the process may take to stop.
        terminate_grace_s: after SIGTERM, how long before SIGKILL.

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
        log.warning("%s ran past its timeout (%ss): stopping it with SIGINT", command[0], timeout)
        stopped_with = stop_process(proc, interrupt_grace_s, terminate_grace_s, log=log)
        for t in threads:
            t.join(timeout=5)
        error = error_cls(
            command,
            proc.returncode,
            "".join(err_lines) + f"\n(timed out after {timeout}s; stopped with {stopped_with})",
        )
        error.timed_out_after = timeout
        error.stopped_with = stopped_with
        raise error from None
    except KeyboardInterrupt:
        # Ctrl-C (or a notebook's interrupt) reached the child as well, through the process group: a second
        # SIGINT would make Terraform exit at once without saving state, so only wait, then escalate.
        log.warning("interrupted: waiting up to %ss for %s to stop", interrupt_grace_s, command[0])
        stop_process(proc, interrupt_grace_s, terminate_grace_s, log=log, send_interrupt=False)
        for t in threads:
            t.join(timeout=5)
        raise
    for t in threads:
        t.join()
    result = CommandResult(tuple(command), proc.returncode, "".join(out_lines), "".join(err_lines))
    if check and not result.ok:
        raise error_cls(command, result.returncode, result.stderr or result.stdout)
    return result


def stop_process(
    proc: subprocess.Popen,
    interrupt_grace_s: float,
    terminate_grace_s: float,
    *,
    log: logging.Logger,
    send_interrupt: bool = True,
) -> str:
    """Stop ``proc`` politely, then firmly: SIGINT, wait, SIGTERM, wait, SIGKILL; returns the last signal sent.

    With ``send_interrupt=False`` the process is assumed to have had its SIGINT already (Ctrl-C reaches the
    whole process group) and is only waited for before SIGTERM.
    """
    steps: list[tuple[str, float]] = [("SIGTERM", terminate_grace_s), ("SIGKILL", 30.0)]
    sent = "SIGINT"
    if send_interrupt:
        steps.insert(0, ("SIGINT", interrupt_grace_s))
    else:
        try:
            proc.wait(timeout=interrupt_grace_s)
            return sent
        except subprocess.TimeoutExpired:
            pass
    for name, grace in steps:
        if proc.poll() is not None:
            return sent
        log.warning("sending %s to %s (pid %s)", name, proc.args[0] if proc.args else "?", proc.pid)
        with contextlib.suppress(ProcessLookupError):  # it may just have exited
            proc.send_signal(getattr(signal, name))
        sent = name
        try:
            proc.wait(timeout=grace)
            return sent
        except subprocess.TimeoutExpired:
            continue
    proc.wait()
    return sent
