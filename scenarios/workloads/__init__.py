"""Built-in workload definitions: every module here registers its scenarios on import.

Modules are imported in name order, so ``--scenario all`` has a stable order; a new module
needs no edit anywhere else.
"""
