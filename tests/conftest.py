"""Shared pytest harness: boot rvhv under QEMU and read what it prints.

QEMU's command line comes from `make qemu-cmd`, so tests and users boot the
same way.  Every QEMU is killed with SIGKILL at the end of its test (QEMU 7.2
sometimes ignores SIGTERM).  Each run's console output is kept in
build/test-logs/<test>.log.
"""
import os
import re
import shlex
import signal
import subprocess
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LOGS = BUILD / "test-logs"


def make_var_cmd(**make_vars):
    args = ["make", "-s", "--no-print-directory", "-C", str(ROOT), "qemu-cmd"]
    args += [f"{k}={v}" for k, v in make_vars.items()]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return shlex.split(out.strip().splitlines()[-1])


class Machine:
    """One QEMU running rvhv; `expect` waits for console output."""

    def __init__(self, name, timeout=60, **make_vars):
        self.cmd = make_var_cmd(**make_vars)
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(LOGS / f"{name}.log", "w")
        self.proc = pexpect.spawn(self.cmd[0], self.cmd[1:], encoding="utf-8",
                                  codec_errors="replace", timeout=timeout, cwd=str(ROOT))
        self.proc.logfile_read = self.log

    def expect(self, pattern, timeout=-1):
        """Wait for a regex; returns the match object."""
        self.proc.expect(pattern, timeout=timeout)
        return self.proc.match

    def send(self, text):
        self.proc.send(text)

    def wait_exit(self, timeout=60):
        """Wait for QEMU to exit (rvhv powers off when every VM has stopped)."""
        self.proc.expect(pexpect.EOF, timeout=timeout)
        return self.output()

    def output(self):
        self.log.flush()
        return (LOGS / os.path.basename(self.log.name)).read_text(errors="replace")

    def kill(self):
        if self.proc.isalive():
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.close(force=True)
        self.log.close()


@pytest.fixture
def machine(request):
    """Factory: machine(CONFIG="test-sbi", HARTS=2, ...) boots a QEMU."""
    started = []

    def start(timeout=60, **make_vars):
        name = re.sub(r"[^\w.-]", "_", request.node.name)
        if started:
            name += f"-{len(started)}"
        m = Machine(name, timeout=timeout, **make_vars)
        started.append(m)
        return m

    yield start
    for m in started:
        m.kill()


def guest_results(text, guest):
    """The ok/FAIL lines a test guest printed and its summary counts."""
    oks = re.findall(r"^(?:\S+\| )?ok (\S+)", text, re.M)
    fails = re.findall(r"^(?:\S+\| )?FAIL (.*)$", text, re.M)
    summary = re.search(rf"{guest}: (\d+) passed, (\d+) failed", text)
    return oks, fails, summary
