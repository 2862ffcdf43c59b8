"""Host unit tests (cmocka, built with ASan+UBSan by `make unit-build`), one
pytest test per binary so `make test` ends in a single summary."""
import subprocess

import pytest

from conftest import BUILD, ROOT


def unit_tests():
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), "unit-list"],
                         check=True, capture_output=True, text=True).stdout
    return out.split()


@pytest.mark.parametrize("name", unit_tests())
def test_unit(name):
    binary = BUILD / "host" / name
    assert binary.exists(), f"{binary} not built: run make unit-build"
    r = subprocess.run([str(binary)], capture_output=True, text=True, timeout=300)
    print(r.stdout[-4000:], r.stderr[-4000:])
    assert r.returncode == 0, f"{name} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "[  PASSED  ]" in r.stdout + r.stderr
