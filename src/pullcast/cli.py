"""The ``pullcast`` command line: thin shells over the public functions.

``pullcast demo | fit | forecast | orders | backtest | serve | hash-key``. Inputs are CSV or Parquet
(by extension); errors print one line and exit with status 2 (tracebacks with ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pullcast.errors import ConfigError, DataError, PullcastError

__all__ = ["build_parser", "main"]

_FORMATS = (".csv", ".parquet", ".pq")


def _format(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise ConfigError(
            f"{what} {path}: expected a .csv or .parquet file, found {suffix or 'no extension'!r}"
        )
    return "csv" if suffix == ".csv" else "parquet"


def read_table(path: str | Path, what: str) -> Any:
    """A CSV or Parquet file as a DataFrame; columns named date/time/arrived_at are parsed as dates."""
    import pandas as pd

    p = Path(path)
    kind = _format(p, what)
    if not p.is_file():
        raise FileNotFoundError(f"{what} file {p} does not exist")
    try:
        frame = pd.read_csv(p) if kind == "csv" else pd.read_parquet(p)
    except (ValueError, OSError, ImportError) as exc:
        raise DataError(f"{what} file {p} could not be read as {kind}: {exc}") from None
    for col in ("date", "time", "arrived_at", "order_date", "arrival_date"):
        if col in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[col]):
            try:
                frame[col] = pd.to_datetime(frame[col], format="mixed")
            except (ValueError, TypeError) as exc:
                raise DataError(f"{what} file {p}: column {col!r} is not readable as dates: {exc}") from None
    return frame


def write_table(frame: Any, path: str | Path) -> Path:
    """Write a DataFrame as CSV or Parquet, by extension (parent folders created)."""
    p = Path(path)
    kind = _format(p, "output")
    p.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        frame.to_csv(p, index=False)
    else:
        frame.to_parquet(p, index=False)
    return p


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


# ---------------------------------------------------------------------- commands
def _demo(args: argparse.Namespace) -> int:
    from pullcast.demo import run_demo

    run_demo(out_dir=args.out, quick=args.quick, verbose=not args.quiet)
    return 0


def _fit(args: argparse.Namespace) -> int:
    from pullcast.forecast import Forecaster

    sales = read_table(args.sales, "sales")
    signals = read_table(args.signals, "signals") if args.signals else None
    stores = read_table(args.stores, "stores") if args.stores else None
    f = Forecaster(**_forecaster_args(args))
    f.fit(sales, signals=signals, stores=stores)
    out = f.save(args.out)
    _say(args, f"model with {len(f.ids_)} series, horizon {f.horizon}, saved to {out}")
    return 0


def _future_for(f: Any, future_path: str | None) -> Any:
    if future_path:
        return read_table(future_path, "future")
    if f.covariates_:
        raise ConfigError(
            f"the model was fit with known-ahead covariates {list(f.covariates_)}: pass --future FILE with "
            "sku, store, date and those columns for every forecast date"
        )
    return None


def _forecast(args: argparse.Namespace) -> int:
    from pullcast.forecast import Forecaster

    f = Forecaster.load(args.model)
    fc = f.predict(_future_for(f, args.future))
    out = write_table(fc, args.out)
    _say(args, f"{len(fc)} forecast rows written to {out}")
    return 0


def _orders(args: argparse.Namespace) -> int:
    import pandas as pd

    from pullcast.forecast import Forecaster
    from pullcast.replenish import OrderUpTo, SamplePaths, propose_orders

    f = Forecaster.load(args.model)
    inventory = read_table(args.inventory, "inventory")
    params = read_table(args.params, "params") if args.params else None
    future = _future_for(f, args.future)
    fc = f.predict(future)
    paths = f.sample_paths(n=args.n_paths, seed=args.seed, future=future)
    dates = pd.DatetimeIndex(fc["date"].iloc[: f.horizon])
    orders = propose_orders(
        SamplePaths(f.forecast_ids(future), paths, dates),
        inventory,
        policy=OrderUpTo(service_level=args.service_level),
        params=params,
        columns=f.columns,
    )
    out = write_table(orders, args.out)
    _say(
        args,
        f"{len(orders)} order proposals ({int((orders['order_qty'] > 0).sum())} positive) written to {out}",
    )
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from pullcast.backtest import backtest
    from pullcast.forecast import Forecaster
    from pullcast.metrics import evaluate

    sales = read_table(args.sales, "sales")
    signals = read_table(args.signals, "signals") if args.signals else None
    stores = read_table(args.stores, "stores") if args.stores else None
    template = Forecaster(**_forecaster_args(args))
    cv = backtest(template, sales, signals=signals, stores=stores, n_windows=args.n_windows, step=args.step)
    out = write_table(cv, args.out)
    scores = evaluate(cv, metrics=["wape", "bias"], by=())
    _say(args, scores.to_string(index=False))
    _say(args, f"{len(cv)} backtest rows written to {out}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from pullcast.service import ServiceLimits, create_app, read_key_file

    keys = read_key_file(args.api_key_file) if args.api_key_file else None
    limits = ServiceLimits(max_body_bytes=args.max_body_bytes, max_series=args.max_series)
    app = create_app(
        args.model,
        args.db,
        api_keys=keys,
        insecure_dev=args.insecure_dev,
        limits=limits,
        max_staleness=args.max_staleness,
    )
    if args.insecure_dev and not keys:
        _say(args, "pullcast serve: WARNING --insecure-dev: requests are not authenticated")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def _hash_key(args: argparse.Namespace) -> int:
    from pullcast.service import hash_key

    key = sys.stdin.readline().strip()
    if not key:
        raise ConfigError("hash-key: give the API key on standard input")
    print(hash_key(key))
    return 0


# ---------------------------------------------------------------------- parser
def _forecaster_args(args: argparse.Namespace) -> dict[str, Any]:
    """Forecaster arguments from the model options; an unset ``--max-rows`` keeps the Forecaster's default."""
    kw: dict[str, Any] = {"horizon": args.horizon, "seed": args.seed, "verbose": not args.quiet}
    if args.max_rows is not None:
        kw["max_rows"] = args.max_rows
    return kw


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--horizon", type=int, default=28, help="forecast length in days (default: 28)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--max-rows", type=int, default=None, help="training rows to sample (default: the Forecaster's)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars or messages")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pullcast`` command."""
    parser = argparse.ArgumentParser(prog="pullcast", description="Retail demand sensing from pull signals.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="synthetic data -> fit -> backtest -> forecasts -> orders")
    demo.add_argument("--out", default="pullcast-demo", help="output folder (default: pullcast-demo)")
    demo.add_argument("--quick", action="store_true", help="a smaller dataset")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_demo)

    fit = sub.add_parser("fit", help="fit a Forecaster and save it to a folder")
    fit.add_argument("--sales", required=True, help="sales file (.csv or .parquet)")
    fit.add_argument("--signals", help="signal events file")
    fit.add_argument("--stores", help="store -> region file")
    fit.add_argument("--out", required=True, help="model folder to write")
    _model_args(fit)
    fit.set_defaults(func=_fit)

    fc = sub.add_parser("forecast", help="forecast with a saved model")
    fc.add_argument("--model", required=True, help="model folder")
    fc.add_argument("--out", required=True, help="forecast file to write (.csv or .parquet)")
    fc.add_argument("--future", help="known-ahead covariates for the forecast dates")
    fc.add_argument("--quiet", action="store_true", help="no messages")
    fc.set_defaults(func=_forecast)

    orders = sub.add_parser("orders", help="order proposals from a saved model's sample paths")
    orders.add_argument("--model", required=True, help="model folder")
    orders.add_argument("--inventory", required=True, help="sku, store, on_hand[, on_order, arrival_date]")
    orders.add_argument("--params", help="per SKU-store replenishment parameters file")
    orders.add_argument("--future", help="known-ahead covariates for the forecast dates")
    orders.add_argument("--out", required=True, help="orders file to write (.csv or .parquet)")
    orders.add_argument(
        "--service-level", type=float, default=0.95, help="cycle service level (default: 0.95)"
    )
    orders.add_argument("--n-paths", type=int, default=1000, help="sample paths per series (default: 1000)")
    orders.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    orders.add_argument("--quiet", action="store_true", help="no messages")
    orders.set_defaults(func=_orders)

    bt = sub.add_parser("backtest", help="rolling-origin backtest; writes the forecasts joined to actuals")
    bt.add_argument("--sales", required=True, help="sales file")
    bt.add_argument("--signals", help="signal events file")
    bt.add_argument("--stores", help="store -> region file")
    bt.add_argument("--out", required=True, help="backtest file to write (.csv or .parquet)")
    bt.add_argument("--n-windows", type=int, default=4, help="number of cutoffs (default: 4)")
    bt.add_argument("--step", type=int, default=7, help="days between cutoffs (default: 7)")
    _model_args(bt)
    bt.set_defaults(func=_backtest)

    serve = sub.add_parser("serve", help="run the HTTP forecast service")
    serve.add_argument("--model", required=True, help="model folder")
    serve.add_argument("--db", required=True, help="DuckDB file of acknowledged events and sales")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--api-key-file", help="file of sha256 digests of API keys (see hash-key)")
    serve.add_argument("--insecure-dev", action="store_true", help="allow serving without API keys")
    serve.add_argument("--max-body-bytes", type=int, default=4_000_000, help="body cap (default: 4000000)")
    serve.add_argument("--max-series", type=int, default=1000, help="series per request (default: 1000)")
    serve.add_argument(
        "--max-staleness",
        type=float,
        default=0.0,
        help="seconds a forecast may lag the latest writes while recomputed in the background (default: 0)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default: warning)")
    serve.add_argument("--quiet", action="store_true", help="no messages")
    serve.set_defaults(func=_serve)

    hk = sub.add_parser("hash-key", help="print the sha256 digest of an API key read from stdin")
    hk.set_defaults(func=_hash_key)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors print one line and exit non-zero (tracebacks with --debug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (PullcastError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        if args.debug:
            raise
        text = " ".join(str(exc).split())
        print(f"pullcast {args.command}: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"pullcast {args.command}: interrupted", file=sys.stderr)
        return 130
