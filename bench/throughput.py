"""Throughput benchmark (issue 4): decode + crop + inference end to end, 1/2/4/8 ROIs, 1080p30 H.264.

    .venv/bin/python bench/throughput.py [--video V.mp4] [--rois 1,2,4,8] [--backend auto] [--json out.json]

Same options as `mgs bench` (the logic lives in mgs_core/benchmark.py). Re-executes itself with tcmalloc preloaded
when /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 exists (pass --no-tcmalloc to measure glibc malloc).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

if __name__ == "__main__":
    from mgs_core.benchmark import reexec_with_tcmalloc

    if "--no-tcmalloc" not in sys.argv:
        reexec_with_tcmalloc([sys.executable, os.path.abspath(__file__), *sys.argv[1:]])
    from mgs_core.cli import main

    sys.exit(main(["bench", "--no-tcmalloc", *sys.argv[1:]] if "--no-tcmalloc" not in sys.argv
                  else ["bench", *sys.argv[1:]]))
