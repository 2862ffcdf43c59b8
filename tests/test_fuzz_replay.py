"""Replay the committed fuzz corpus: each libFuzzer target (tests/fuzz/,
built with ASan and UBSan by `make fuzz-build`) runs once over every file
of tests/fuzz/corpus/<target>, so inputs that once crashed a device model
or the config parser, and the seeds that reach deep into them, keep
running clean.  One pytest test per target."""
import re
import subprocess

import pytest

from conftest import BUILD, ROOT

CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def make(*args):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), *args],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def fuzz_build():
    make("fuzz-build")


@pytest.mark.parametrize("target", make("fuzz-list").split())
def test_fuzz_replay(target, fuzz_build):
    files = sorted(str(f) for f in (CORPUS / target).iterdir())
    assert files, f"no corpus in {CORPUS / target}"
    r = subprocess.run([str(BUILD / "fuzz" / target), *files], capture_output=True, text=True,
                       timeout=300)
    out = r.stdout + r.stderr
    print(out[-4000:])
    assert r.returncode == 0, f"{target} failed on its corpus:\n{out[-3000:]}"
    executed = re.findall(r"^Executed (.+) in \d+ ms$", out, re.M)
    assert sorted(executed) == files, f"{target}: {len(executed)} of {len(files)} inputs ran"
