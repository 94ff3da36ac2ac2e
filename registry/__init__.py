"""YAML definition files of the built-in packs (installed as ``neurogebra_registry``).

The packs in ``neurogebra_plugins`` return these files from their
``neurogebra_definition_files`` hook, as ``files("neurogebra_registry") / NAME``.
"""
