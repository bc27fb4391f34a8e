"""xapi is pure Python: importing it pulls in neither Django nor the sandbox."""

import subprocess
import sys


def test_importing_xapi_loads_no_django_and_no_sandbox():
    probe = (
        "import sys, xapi; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'sandbox'}))"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
