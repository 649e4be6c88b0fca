"""pytest plugin of the sandbox runner: makes the sample's files importable *after* the standard
library and pytest (appended to sys.path, never prepended), so a sample shipping its own `pytest.py`,
`_pytest/` or `json.py` cannot replace the test machinery that writes the JUnit report."""

import os
import sys


def pytest_configure(config):
    work = os.environ.get("GAVEL_WORK")
    if work and work not in sys.path:
        sys.path.append(work)
