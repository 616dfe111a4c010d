import sys

from mgs_core.cli import main

if __name__ == "__main__":  # Dask worker processes are spawned and re-import this module
    sys.exit(main())
