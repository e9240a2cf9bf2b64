"""Render a run as an HTML report with PNG plots and CSV data (``python -m scenarios.report``).

    python -m scenarios.report [RUN_DIR] [--baseline RUNTIME] [--out DIR]

RUN_DIR defaults to the newest run under results/. The report goes to reports/<run-id>/
beside the run's results folder (or --out): index.html (opens offline, on its own), one PNG
per plot, values.csv (every value, one row each) and summary.csv (one row per runtime and
benchmark, statuses included).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from scenarios.record import paths

PROG = "python -m scenarios.report"
DEFAULT_RESULTS = paths.RESULTS


def default_out(run_dir: Path) -> Path:
    """``<results>/../reports/<run-id>``: for the default results/ that is reports/<run-id>."""
    return run_dir.resolve().parent.parent / "reports" / run_dir.resolve().name


def generate(run_dir: Path, out: Path | None = None, baseline: str | None = None,
             debug: bool = False) -> Path:
    """Load ``run_dir``, compute, write the report; return the path of its index.html.

    Raises ``scenarios.reporting.ReportError`` (one line) when the run cannot be reported.
    """
    # pandas/matplotlib only from here on
    from scenarios.reporting import fmt, load, model, render

    run = load.load_run(run_dir)
    with fmt.measuring(run.manifest.options.measure):
        report = model.build(run, baseline)
        return render.write(report, out or default_out(run_dir), debug)


def die(message: str, code: int) -> NoReturn:
    print(f"{PROG.split()[-1]}: error: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("run_dir", nargs="?", type=Path, metavar="RUN_DIR",
                   help=f"a run folder (default: the newest under {DEFAULT_RESULTS})")
    p.add_argument("--baseline", metavar="RUNTIME",
                   help="runtime (or runtime@interpreter) every ratio is relative to "
                        "(default: the fastest runtime of each benchmark)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder to write the report into (default: reports/<run-id> beside "
                        "the results folder)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    args = p.parse_args(argv)
    from scenarios.reporting import ReportError, load

    try:
        run_dir = args.run_dir or load.latest_run(DEFAULT_RESULTS)
        index = generate(run_dir, args.out, args.baseline, args.debug)
    except ReportError as exc:
        if args.debug:
            raise
        die(str(exc), 2)
    except KeyboardInterrupt:
        print(f"\n{PROG}: stopped", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        die(f"{type(exc).__name__}: {exc} (rerun with --debug for the traceback)", 1)
    print(f"Report: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
