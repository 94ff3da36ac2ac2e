"""Checks for pack authors, to call from their own pytest.

``assert_pack_ok("mypack")`` runs, on every function the installed pack
``mypack`` provides (from YAML files and from Python hooks alike), the checks
of ``neurogebra validate --installed --pack mypack``: the pack loads without
problems, every documented example gives its value, values stay finite and
warning-free at extreme inputs wherever the true value is finite, and every
symbolic derivative agrees with central differences. A pack not installed
yet can be checked by handing its module in: ``assert_pack_ok("mypack",
module=mypack)``.
"""

from __future__ import annotations

from .catalog import MathForge, Problem, check_forge
from .errors import PluginError

__all__ = ["check_pack", "assert_pack_ok", "Problem"]


def check_pack(name: str, module=None) -> tuple[int, list[Problem]]:
    """Check every function of one pack.

    Args:
        name: The pack's name (its entry point in ``neurogebra.forge``).
        module: The pack's module (or hook object), to check it without
            installing it; default: the installed pack.

    Returns:
        The number of functions checked and the problems found.

    Raises:
        PluginError: no pack of that name is installed.
    """
    if module is None:
        forge = MathForge(plugins="all")
        found = {p["name"] for p in forge.packs} | {e.pack for e in forge.plugin_errors}
        if name not in found:   # a pack that failed to load is reported by check_forge
            raise PluginError(f"no pack named {name!r} is installed; install it "
                              "(python -m pip install -e .) or pass module=", name)
    else:
        forge = MathForge(plugins="builtin", packs={name: module})
    return check_forge(forge, [name])


def assert_pack_ok(name: str, module=None) -> None:
    """Fail (AssertionError listing every problem) unless the pack passes all checks.

    Args:
        name: The pack's name.
        module: As for :func:`check_pack`.
    """
    count, problems = check_pack(name, module)
    assert count > 0 and not problems, (
        f"pack {name!r}: " + ("no functions" if count == 0 else
                              f"{len(problems)} problem(s) in {count} function(s):\n" +
                              "\n".join(f"  {p}" for p in problems)))
