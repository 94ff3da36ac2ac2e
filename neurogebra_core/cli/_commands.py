"""The ``neurogebra`` command: a guided demo and catalog tools.

    neurogebra demo                 a tour: derivatives, activations, losses, training
    neurogebra list [--category C]  catalog names
    neurogebra show NAME            formula, derivative, params and docs
    neurogebra plugins              loaded packs and problems
    neurogebra validate PATH...     check YAML definition files (exit status 1 on errors)
    neurogebra catalog [--output F] Markdown reference of the built-in functions
    neurogebra schema [--format F]  JSON Schema of definition files (or their field tables)
    neurogebra plot NAME --out F    draw a function and its derivatives (needs matplotlib)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

from .. import render
from .._version import __version__
from ..catalog import (MathForge, fields_markdown, json_schema, top_level_markdown,
                       validate_paths)
from ..errors import NeurogebraError
from ._demo import run_demo

__all__ = ["main"]


def _forge():
    return MathForge()


def cmd_demo(args) -> int:
    run_demo(print)
    return 0


def cmd_list(args) -> int:
    forge = _forge()
    for name in forge.list_all(category=args.category):
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
    count, problems = validate_paths(args.paths)
    for problem in problems:
        print(problem)
    status = "FAILED" if problems else "ok"
    print(f"{status}: {count} function(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


def cmd_plot(args) -> int:
    forge = _forge()
    figure = forge.get(args.name).plot(x_range=tuple(args.range), derivatives=args.derivatives)
    figure.savefig(args.out, dpi=args.dpi)
    print(f"wrote {args.out}")
    return 0


def cmd_catalog(args) -> int:
    text = render.catalog_markdown(MathForge(plugins="builtin"))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
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
    parser.add_argument("--version", action="version", version=f"neurogebra {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="a guided tour of the library").set_defaults(run=cmd_demo)
    listing = commands.add_parser("list", help="list catalog functions")
    listing.add_argument("--category", help="only this category (activation, loss...)")
    listing.set_defaults(run=cmd_list)
    show = commands.add_parser("show", help="formula, derivative, params and docs")
    show.add_argument("name")
    show.set_defaults(run=cmd_show)
    commands.add_parser("plugins", help="loaded packs").set_defaults(run=cmd_plugins)
    validate = commands.add_parser("validate", help="check YAML definition files")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(run=cmd_validate)
    plot = commands.add_parser("plot", help="draw a function and its derivatives to a file")
    plot.add_argument("name")
    plot.add_argument("--out", required=True, help="image file (png, svg, pdf)")
    plot.add_argument("--range", nargs=2, type=float, default=[-5.0, 5.0], metavar=("LOW", "HIGH"))
    plot.add_argument("--derivatives", type=int, default=1, choices=[0, 1, 2])
    plot.add_argument("--dpi", type=int, default=100)
    plot.set_defaults(run=cmd_plot)
    catalog = commands.add_parser("catalog", help="Markdown reference of the built-in catalog")
    catalog.add_argument("--output", help="write to this file instead of printing")
    catalog.set_defaults(run=cmd_catalog)
    schema = commands.add_parser("schema", help="JSON Schema of definition files")
    schema.add_argument("--format", choices=["json", "markdown"], default="json",
                        help="json (for editors) or markdown (the tables of the format page)")
    schema.set_defaults(run=cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``neurogebra`` console script."""
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            return args.run(args)
    except NeurogebraError as exc:
        print(f"neurogebra: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:   # e.g. `neurogebra list | head`: the reader left, not an error
        sys.stdout = open(os.devnull, "w")
        return 0

