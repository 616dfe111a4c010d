"""The package's public API: every re-exported name resolves, and `import mgs_core` does not load torch."""
import subprocess
import sys

import mgs_core


def test_every_export_resolves():
    for name in mgs_core.__all__:
        assert getattr(mgs_core, name) is not None, name


def test_import_is_light():
    code = "import sys, mgs_core, mgs_core.cli; mgs_core.cli.build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
