"""The ``bandits`` command: run experiment files, plot results, list agents and families.

::

    bandits run FILE [--out DIR] [--workers N | --scheduler ADDRESS] [--force] [--quiet] [--yes] [--dry-run]
    bandits plot DIR [--out FIGDIR] [--xscale log|linear] [--yscale linear|log] [--metric NAME ...]
    bandits reproduce [DIR] [--quick] [--results DIR] [--figures DIR] [--workers N] [--only NAME ...]
    bandits list

Bad input, and any failure to read or write (a read-only or full disk, a file where a folder
is expected, not enough memory), gets one line on stderr, ``bandits: error: ...``, and exit
status 2; nothing is written before the whole experiment file has been validated. Ctrl-C and
SIGTERM stop a sweep at once, keep the finished cells and exit with 130 and 143. Exit status 2
and one line also for a results folder that another ``bandits run`` is writing (the line names
that process), a cell whose computation failed (the line names the cell), a damaged
``config.json``, and ``bandits plot`` on a folder with damaged or missing cells; damage that a
run repairs (a cell set aside and computed again) is one warning line each.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import signal
import sys
import warnings
from pathlib import Path

from ._validate import REQUIRED
from ._version import __version__
from .agents import registered
from .experiment import CELL_LIMIT, TOML_GENERATORS, TOML_QUESTION_GENERATORS, ExperimentError, load
from .folder import ResultsError
from .plots import plot_folder
from .rl.learner import SETTINGS
from .sweep import Interrupted, SweepError, plan, run

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints the usage too)
        prog = self.prog.removeprefix("bandits").strip()
        raise _BadInput(f"{prog + ': ' if prog else ''}{message}")


class _BadInput(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bandits", description="Outcome-based bandit simulations.")
    parser.add_argument("--version", action="version", version=f"bandits {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run an experiment file (a TOML sweep)")
    run.add_argument("file", help="experiment file (.toml)")
    run.add_argument("--out", help="results folder (default: results/<name>)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: every core)")
    where.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786")
    run.add_argument("--force", action="store_true", help="replace results of a different experiment in --out")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--yes", action="store_true", help=f"run a grid of more than {CELL_LIMIT:,} cells")
    run.add_argument("--dry-run", action="store_true", help="print the cells and the estimated cost; run nothing")

    plot = sub.add_parser("plot", help="figures (PDF and PNG) from a results folder")
    plot.add_argument("folder", help="results folder written by 'bandits run'")
    plot.add_argument("--out", help="figure folder (default: FOLDER/figures)")
    plot.add_argument("--xscale", choices=("log", "linear"), default="log", help="x axis of the regret curves")
    plot.add_argument("--yscale", choices=("linear", "log"), default="linear", help="y axis of the regret curves")
    plot.add_argument("--metric", nargs="+", help="metrics to plot (default: all but 'distinct')")

    rep = sub.add_parser("reproduce", help="run the claim experiments (experiments/c*.toml) and draw their figures")
    rep.add_argument("--quick", action="store_true", help="the small versions (about a minute), for tests")
    rep.add_argument("experiments", nargs="?", default="experiments",
                     help="the paper's folder: experiment files and their claims/ code (default: ./experiments)")
    rep.add_argument("--results", help="results folder (default: results, or results/quick)")
    rep.add_argument("--figures", help="figure folder (default: figures, or figures/quick)")
    rep.add_argument("--workers", type=int, help="local worker processes (default: every core)")
    rep.add_argument("--only", nargs="+", help="experiment names to run (default: all)")
    rep.add_argument("--force", action="store_true", help="recompute results whose experiment file changed")
    rep.add_argument("--quiet", action="store_true", help="no progress bars")

    sub.add_parser("list", help="agents and instance families with their parameters")
    return parser


def main(argv=None) -> int:
    with warnings.catch_warnings():  # a warning is one line: "bandits: warning: ..."
        warnings.showwarning = _show_warning
        return _main(argv)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"bandits: warning: {message}", file=sys.stderr)


def _main(argv) -> int:
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `bandits` alone: what it can do
            parser.print_help()
            return 0
        return {"run": _run, "plot": _plot, "reproduce": _reproduce, "list": _list}[args.command](args)
    except _BadInput as exc:
        return _fail(exc)
    except OSError as exc:  # read-only or full disk, a file where a folder should be, ...
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except MemoryError:
        return _fail("out of memory; use fewer runs, checkpoints, arms or workers")
    except RecursionError:
        return _fail("input nested too deeply")
    except Interrupted as exc:
        print(f"bandits: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:  # before or after the cells ran (SIGTERM comes as a subclass)
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"bandits: interrupted ({signal.Signals(signum).name}); finished cells are kept, run the same "
              "command to resume", file=sys.stderr)
        return 128 + int(signum)


def _fail(message) -> int:
    print(f"bandits: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _run(args) -> int:
    if args.workers is not None and args.workers < 1:
        raise _BadInput(f"--workers must be >= 1, got {args.workers}")
    try:
        exp = load(args.file, max_cells=None if args.yes or args.dry_run else CELL_LIMIT)
        out = Path(args.out) if args.out else Path("results") / exp.name
        for note in exp.warnings:
            print(f"bandits: warning: {note}", file=sys.stderr)
        if args.dry_run:
            print(plan(exp, out, args.workers))
            return 0
        run(exp, out, workers=args.workers, scheduler=args.scheduler, force=args.force, progress=not args.quiet)
    except (ExperimentError, SweepError, ResultsError) as exc:  # ResultsError: a folder in use, ...
        raise _BadInput(str(exc)) from None
    print(f"{len(exp.cells)} cells of {exp.name} in {out} (summary.csv, cells/)")
    return 0


def _plot(args) -> int:
    import matplotlib  # third-party, lazy: only the drawing commands need it

    matplotlib.use("Agg")  # files only, no window
    folder = Path(args.folder)
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise _BadInput(f"--out {args.out} is a file, not a folder; choose another figure folder")
    for needed in ("config.json", "summary.csv"):
        if not (folder / needed).exists():
            raise _BadInput(f"{folder}: not a finished results folder (no {needed}); run 'bandits run' first")
    try:
        paths = plot_folder(folder, args.out, xscale=args.xscale, yscale=args.yscale, metrics=args.metric)
    except ResultsError as exc:  # damaged or unfinished: the message names the folder and the way out
        raise _BadInput(str(exc)) from None
    except (ValueError, KeyError) as exc:
        raise _BadInput(f"{folder}: {exc}") from None
    for path in paths:
        print(path)
    return 0


def _reproduce(args) -> int:
    import matplotlib  # third-party, lazy: only the drawing commands need it

    matplotlib.use("Agg")
    if args.workers is not None and args.workers < 1:
        raise _BadInput(f"--workers must be >= 1, got {args.workers}")
    sub = Path("quick") if args.quick else Path()
    results = Path(args.results) if args.results else Path("results") / sub
    figures = Path(args.figures) if args.figures else Path("figures") / sub
    reproduce = _paper_code(Path(args.experiments)).reproduce
    try:
        reproduce(args.experiments, results, figures, quick=args.quick, workers=args.workers, only=args.only,
                  force=args.force, progress=not args.quiet)
    except (ExperimentError, SweepError) as exc:
        raise _BadInput(str(exc)) from None
    print(f"figures in {figures}/ (PDF and PNG), measurements in {figures / 'claims.json'}")
    return 0


def _paper_code(folder: Path):
    """The ``claims`` package of an experiments folder (the paper's figure code, not installed)."""
    init = folder / "claims" / "__init__.py"
    if not init.is_file():
        raise _BadInput(f"{folder}: no claims/ package here; 'bandits reproduce' runs the paper's experiments from a "
                        "source checkout: cd into it, or pass its experiments folder (bandits reproduce PATH)")
    spec = importlib.util.spec_from_file_location("claims", init, submodule_search_locations=[str(init.parent)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["claims"] = module
    spec.loader.exec_module(module)
    return module


def _list(args) -> int:
    print("agents (any agent also takes lam >= 0, the batch penalty):")
    for name, spec in registered().items():
        params = ", ".join(f"{k}={p.default:g}" for k, p in spec.params.items()) or "no parameters"
        control = "outcome control" if spec.control == "outcome" else "arm control"
        print(f"  {name:24s} {params:22s} {control}")
    def generators(title, table):
        print(title)
        for name, fn in table.items():
            declared = getattr(fn, "params", None)
            if declared:  # declared with bandits._validate.declared: defaults and ranges
                params = ", ".join(f"{k} ({p.describe()})" if p.default is REQUIRED else f"{k}={p.default}"
                                   for k, p in declared.items())
            else:
                params = ", ".join(k if p.default is inspect.Parameter.empty else f"{k}={p.default}"
                                   for k, p in inspect.signature(fn).parameters.items())
            print(f"  {name:24s} {params}")

    generators("instance generators ([instance] generator = ...):", TOML_GENERATORS)
    generators("question generators ([questions] generator = ..., for policy-gradient learners):",
               TOML_QUESTION_GENERATORS)
    print("learner settings ([[learner]]):")
    for name, p in SETTINGS.items():
        print(f"  {name:24s} default {p.default!r:10s} {p.describe():28s} {p.doc}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
