"""The catalog layer: packs, definition files and MathForge.

Hook specifications, pack discovery and isolation, the definition-file
schema (declared once), strict YAML reading, finding files, the name index,
MathForge itself, validation of definition files, checks of installed
functions, and saving Expressions as definitions.
"""

from ..expression import register_definition_writer
from ..symbolic import register_primitive_loader
from ._checks import DERIVATIVE_POINTS, EXTREMES, Problem, check_forge, check_function
from ._definitions import FunctionDefinition, expression_from_definition, read_definitions
from ._files import ENV_PATH, definition_files, environment_paths, read_definition_file
from ._forge import MathForge
from ._pack_primitives import load_installed_primitives, register_pack_primitives
from ._hookspecs import ENTRY_POINT_GROUP, HOOK_NAMES, PROJECT, hookimpl, hookspec
from ._packs import (ENV_SELECTION, HookResult, Pack, call_hook, call_pack, hook_problems,
                     load_packs, make_plugin_manager, parse_selection)
from ._saving import definition_yaml, load_expression
from ._schema import (FIELDS, FIELDS_BY_NAME, SCHEMA_VERSIONS, Field, ParamDefinition,
                      fields_markdown, json_schema, top_level_markdown)
from ._validation import check_examples, validate_paths
from ._yaml import MAX_FILE_BYTES, load_yaml

# A pickled Expression may use a pack's primitive: unpickling it in a fresh
# process loads the installed packs' primitives through this layer.
register_primitive_loader(load_installed_primitives)
# Expression.to_yaml()/save() write the catalog's format, which this layer owns.
register_definition_writer(definition_yaml)

__all__ = [
    "MathForge", "hookimpl", "hookspec", "PROJECT", "ENTRY_POINT_GROUP", "HOOK_NAMES",
    "Pack", "HookResult", "make_plugin_manager", "load_packs", "call_hook", "call_pack",
    "hook_problems",
    "parse_selection", "ENV_SELECTION", "register_pack_primitives", "load_installed_primitives",
    "FIELDS", "FIELDS_BY_NAME", "Field", "ParamDefinition", "SCHEMA_VERSIONS", "json_schema",
    "fields_markdown", "top_level_markdown",
    "FunctionDefinition", "read_definitions", "expression_from_definition", "load_yaml",
    "MAX_FILE_BYTES", "definition_files", "read_definition_file", "environment_paths",
    "ENV_PATH", "validate_paths", "check_examples", "Problem", "check_function", "check_forge",
    "EXTREMES", "DERIVATIVE_POINTS", "definition_yaml", "load_expression",
]
