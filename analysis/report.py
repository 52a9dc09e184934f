#!/usr/bin/env python3
"""Writes the report of a sweep store: `report.py DIR [--out DIR/report]` (what `bbpt report DIR` runs).

Reads DIR (never writes it, apart from the report folder) and writes report.md with the paper-style
table, the curves against queries and the query efficiency; see analysis/README.md.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import matplotlib  # noqa: F401
    import pandas  # noqa: F401
except ImportError as missing:
    sys.exit(f"bbpt report: error: {missing.name} is not installed; install Debian's python3-pandas and "
             "python3-matplotlib (bash scripts/install_deps.sh does)")

from bbpt_analysis.curves import Smoothing  # noqa: E402
from bbpt_analysis.report import write_report  # noqa: E402
from bbpt_analysis.store import StoreError  # noqa: E402


def main(argv):
    parser = argparse.ArgumentParser(prog="bbpt report", description=__doc__.split("\n")[0])
    parser.add_argument("store", help="the sweep's store, e.g. sweeps/demo")
    parser.add_argument("--out", help="report folder (default: STORE/report)")
    parser.add_argument("--points", type=int, default=Smoothing.points,
                        help="grid points of the curves over a dataset's largest budget (default: %(default)s)")
    parser.add_argument("--window", type=float, default=Smoothing.window_fraction,
                        help="trailing smoothing window, as a fraction of that budget (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.points < 1 or not 0 < args.window <= 1:
        parser.error(f"--points must be >= 1 (got {args.points}) and --window in (0, 1] (got {args.window})")
    try:
        path = write_report(args.store, args.out, Smoothing(points=args.points, window_fraction=args.window))
    except StoreError as e:
        print(f"bbpt report: error: {e}", file=sys.stderr)
        return 2
    print(f"bbpt report: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
