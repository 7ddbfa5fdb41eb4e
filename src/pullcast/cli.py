"""The ``pullcast`` command line: thin shells over the public functions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pullcast.errors import PullcastError

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from pullcast.demo import run_demo

    run_demo(out_dir=args.out, quick=args.quick, verbose=not args.quiet)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pullcast", description="Retail demand sensing from pull signals.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="synthetic data -> fit -> backtest -> forecasts -> orders")
    demo.add_argument("--out", default="pullcast-demo", help="output folder (default: pullcast-demo)")
    demo.add_argument("--quick", action="store_true", help="a smaller dataset")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors print one line and exit non-zero (tracebacks with --debug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (PullcastError, FileNotFoundError) as exc:
        if args.debug:
            raise
        print(f"pullcast: error: {exc}", file=sys.stderr)
        return 2
