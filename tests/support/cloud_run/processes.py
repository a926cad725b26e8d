"""The service's instance as local processes: functions-framework on 127.0.0.1, found and
stopped by PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
STOP_TIMEOUT = 10.0  # gunicorn's graceful stop waits for requests in flight; then SIGKILL


class InstanceStartError(Exception):
    """The instance exited or did not accept connections in time."""


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (for URLs chosen before binding)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def functions_framework() -> str:
    beside = Path(sys.executable).with_name("functions-framework")
    found = str(beside) if beside.is_file() else shutil.which("functions-framework")
    if found is None:
        raise RuntimeError("functions-framework not found (pip install -e '.[dev]')")
    return found


def _children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (gunicorn's workers under its master)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Instance:
    """One functions-framework process tree: a gunicorn master and its worker(s), forked
    without exec, so a worker's command line is its master's (which names our port)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.argv = argv
        self.port = int(argv[argv.index("--port") + 1])
        self.log_path = log
        self.in_flight = 0
        self._log: IO[bytes] = log.open("wb")
        self.popen = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_ready(self, timeout: float) -> None:
        """Until the port accepts TCP (Cloud Run's default startup probe is a TCP check)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise InstanceStartError(f"exited with {self.popen.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return
            time.sleep(0.05)
        raise InstanceStartError(f"not accepting connections after {timeout:.0f}s:\n{self.tail()}")

    def _is_ours(self, pid: int) -> bool:
        """Whether ``pid`` runs our command line (after the interpreter the shebang adds)."""
        parts = _cmdline(pid).split(b"\0")[:-1]
        args = [a.encode() for a in self.argv[1:]]
        script = Path(self.argv[0]).name.encode()
        return parts[-len(args) :] == args and any(p.endswith(script) for p in parts)

    def processes(self) -> list[int]:
        """The master, its workers, and workers orphaned by a dead master: the same command
        line, which names this instance's own port."""
        pids = {self.pid, *_children(self.pid)}
        for entry in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(ValueError):
                pids.add(int(entry.name))
        return sorted(pid for pid in pids if pid == self.pid or self._is_ours(pid))

    def kill(self) -> None:
        """SIGKILL every process of the instance, as when a container crashes."""
        for pid in self.processes():
            if pid != self.pid or self.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the master (gunicorn stops its workers), SIGKILL whatever is left."""
        workers = self.processes()
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        for pid in {*workers, *self.processes()}:
            if pid != self.pid or self.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])
