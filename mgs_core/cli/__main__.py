import sys

from mgs_core.cli import main

sys.exit(main())
