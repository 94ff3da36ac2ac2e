"""The ``neurogebra`` command: a guided demo and catalog tools.

    neurogebra demo                 a tour: derivatives, activations, losses, training
    neurogebra list [--category C] [--search TEXT]
                                    catalog names (of a category, matching a text)
    neurogebra show NAME            formula, derivative, params and docs
    neurogebra plugins              loaded packs and problems
    neurogebra validate PATH...     check YAML definition files (exit status 1 on errors)
    neurogebra validate --installed [--pack P]
                                    check installed packs: examples, extremes, derivatives
    neurogebra catalog [--output F] Markdown reference of the built-in functions
    neurogebra schema [--format F]  JSON Schema of definition files (or their field tables)
    neurogebra plot NAME --out F [--variable V] [--set NAME=VALUE...]
                                    draw a function and its derivatives (needs matplotlib)
    neurogebra new-pack NAME        write a pip-installable pack, ready to test

Warnings (a pack that failed to load, say) are printed as one line each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

from pathlib import Path

from .. import render
from .._version import __version__
from ..catalog import (MathForge, check_forge, fields_markdown, json_schema,
                       top_level_markdown, validate_paths)
from ..errors import ArgumentError, NeurogebraError
from ._demo import run_demo
from ._new_pack import write_pack

__all__ = ["main"]

MAX_DPI = 1000   # a 6.4 x 4.8 inch figure at 1000 dpi is 31 million pixels (123 MB)


def _forge():
    return MathForge()


def cmd_demo(args) -> int:
    run_demo(print)
    return 0


def cmd_list(args) -> int:
    forge = _forge()
    names = forge.list_all(category=args.category)
    if args.search is not None:
        names = [n for n in forge.search(args.search) if n in set(names)]
    for name in names:
        entry = forge.get(name)
        summary = render.first_sentence(entry.metadata.get("description"))
        print(f"{name:<22} {entry.metadata.get('category', ''):<11} {summary}")
    return 0


def cmd_show(args) -> int:
    print(_forge().explain(args.name, derivatives=True))
    return 0


def cmd_plugins(args) -> int:
    forge = _forge()
    for pack in forge.packs:
        origin = "built-in" if pack["builtin"] else (pack["distribution"] or "local files")
        version = pack["version"] or "-"
        print(f"{pack['name']:<20} {version:<10} {pack['functions']:>4} functions  ({origin})")
    errors = forge.plugin_errors
    for error in errors:
        print(f"problem: {error}")
    return 1 if errors else 0


def cmd_validate(args) -> int:
    if args.installed == bool(args.paths):
        raise ArgumentError("give definition files or folders to check, or --installed "
                            "(not both)")
    if args.pack and not args.installed:
        raise ArgumentError("--pack goes with --installed")
    if args.installed:
        count, problems = check_forge(_forge(), args.pack or None)
    else:
        count, problems = validate_paths(args.paths)
    for problem in problems:
        print(problem)
    status = "FAILED" if problems else "ok"
    print(f"{status}: {count} function(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


def cmd_plot(args) -> int:
    out = Path(args.out)
    image_format = out.suffix[1:].lower()
    if out.is_dir() or not image_format:
        raise ArgumentError(f"--out {args.out!r} is not an image file name; give one ending in "
                            ".png, .svg or .pdf")
    forge = _forge()
    fixed = dict(_assignment(text) for text in args.set)
    figure = forge.get(args.name).plot(x_range=tuple(args.range), derivatives=args.derivatives,
                                       variable=args.variable, **fixed)
    formats = figure.canvas.get_supported_filetypes()
    if image_format not in formats:
        raise ArgumentError(f"--out {args.out!r}: matplotlib cannot write .{image_format} "
                            f"images; use one of {', '.join(sorted(formats))}")
    _write(out, lambda: figure.savefig(out, dpi=args.dpi, format=image_format))
    print(f"wrote {args.out}")
    return 0


def _dpi(text: str) -> int:
    """``--dpi``: a whole number of dots per inch, bounded so the image fits in memory."""
    try:
        dpi = int(text)
    except ValueError:
        dpi = 0
    if not 1 <= dpi <= MAX_DPI:
        raise argparse.ArgumentTypeError(f"dots per inch are a whole number from 1 to {MAX_DPI}, "
                                         f"got {text!r}")
    return dpi


def _write(path: Path, write):
    """Run ``write`` (which writes ``path``) and return its result; an OS error
    becomes an ArgumentError naming the path."""
    try:
        return write()
    except (OSError, ValueError) as exc:   # ValueError: a NUL in the path
        raise ArgumentError(f"cannot write {str(path)!r}: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None


def _assignment(text: str) -> tuple[str, float]:
    name, equals, value = text.partition("=")
    try:
        if not (equals and name.strip().isidentifier()):
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise ArgumentError(f"--set takes NAME=NUMBER, got {text!r}") from None


def cmd_new_pack(args) -> int:
    directory = Path(args.directory)
    folder = _write(directory, lambda: write_pack(args.name, directory, hooks=args.hooks))
    print(f"wrote {folder}")
    print(f"next: cd {folder} && python -m pip install -e . && python -m pytest")
    return 0


def cmd_catalog(args) -> int:
    text = render.catalog_markdown(MathForge(plugins="builtin"), args.pictures or None)
    if args.output:
        output = Path(args.output)
        _write(output, lambda: output.write_text(text, encoding="utf-8"))
    else:
        print(text, end="")
    return 0


def cmd_schema(args) -> int:
    if args.format == "markdown":
        print(top_level_markdown())
        print(fields_markdown(), end="")
    else:
        print(json.dumps(json_schema(), indent=2))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neurogebra", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="a guided tour of the library").set_defaults(run=cmd_demo)
    listing = commands.add_parser("list", help="list catalog functions")
    listing.add_argument("--category", help="only this category (activation, loss...)")
    listing.add_argument("--search", metavar="TEXT",
                         help="only functions matching TEXT, best match first")
    listing.set_defaults(run=cmd_list)
    show = commands.add_parser("show", help="formula, derivative, params and docs")
    show.add_argument("name")
    show.set_defaults(run=cmd_show)
    commands.add_parser("plugins", help="loaded packs").set_defaults(run=cmd_plugins)
    validate = commands.add_parser("validate", help="check YAML definition files or the "
                                   "installed packs")
    validate.add_argument("paths", nargs="*", metavar="PATH")
    validate.add_argument("--installed", action="store_true",
                          help="check every function of the installed packs (hooks included): "
                          "examples, finite values at extremes, derivatives")
    validate.add_argument("--pack", action="append", metavar="NAME",
                          help="with --installed: only this pack (repeatable)")
    validate.set_defaults(run=cmd_validate)
    plot = commands.add_parser("plot", help="draw a function and its derivatives to a file")
    plot.add_argument("name")
    plot.add_argument("--out", required=True, help="image file (png, svg, pdf)")
    plot.add_argument("--range", nargs=2, type=float, default=[-5.0, 5.0], metavar=("LOW", "HIGH"))
    plot.add_argument("--derivatives", type=int, default=1, choices=[0, 1, 2])
    plot.add_argument("--variable", help="the variable on the horizontal axis")
    plot.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                      help="fix another variable or a param (repeatable)")
    plot.add_argument("--dpi", type=_dpi, default=100,
                      help=f"resolution in dots per inch (1 to {MAX_DPI}; default 100)")
    plot.set_defaults(run=cmd_plot)
    new_pack = commands.add_parser("new-pack", help="write a pip-installable pack with tests")
    new_pack.add_argument("name", help="the pack's name (lower case, e.g. kernels)")
    new_pack.add_argument("--directory", default=".", help="where to create it (default: here)")
    new_pack.add_argument("--hooks", action="store_true",
                          help="add a Python hooks module (functions built in code)")
    new_pack.set_defaults(run=cmd_new_pack)
    catalog = commands.add_parser("catalog", help="Markdown reference of the built-in catalog")
    catalog.add_argument("--output", help="write to this file instead of printing")
    catalog.add_argument("--pictures", default="pictures", metavar="FOLDER",
                         help="show FOLDER/NAME.png under each entry (the docs build draws "
                         "them; default: pictures; '' for none)")
    catalog.set_defaults(run=cmd_catalog)
    schema = commands.add_parser("schema", help="JSON Schema of definition files")
    schema.add_argument("--format", choices=["json", "markdown"], default="json",
                        help="json (for editors) or markdown (the tables of the format page)")
    schema.set_defaults(run=cmd_schema)
    return parser


def _version() -> str:
    location = Path(__file__).resolve().parents[1]
    return (f"neurogebra {__version__} (formulas for machine learning: Expression, MathForge; "
            f"Python {sys.version.split()[0]}; {location})")


def _warn(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one clean line each, without Python's source location."""
    print(f"neurogebra: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``neurogebra`` console script.

    Args:
        argv: The arguments (default: the command line's).
    """
    args = _parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):   # a console that cannot show a character
        if hasattr(stream, "reconfigure"):    # shows it escaped (A\u2229B), not a traceback
            stream.reconfigure(errors="backslashreplace")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _warn
            return args.run(args)
    except NeurogebraError as exc:
        print(f"neurogebra: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:   # e.g. `neurogebra list | head`: the reader left, not an error
        _discard_output()
        return 0
    except OSError as exc:    # e.g. `neurogebra list > /dev/full`: the output cannot be written
        _discard_output()
        what = f"cannot use {exc.filename}" if exc.filename else "cannot write the output"
        print(f"neurogebra: error: {what}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def _discard_output() -> None:
    """Send what is left of standard output to the null device, so that Python's
    flush at exit does not fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):   # no file descriptor (a test's captured output)
        sys.stdout = open(os.devnull, "w")

