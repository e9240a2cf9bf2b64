"""Differential fuzzing: random valid modules through every runtime that loads wasm bytes.

``python -m scenarios.fuzz`` makes modules with ``wasm-tools smith`` (``generate``), runs each
on every runtime in a guarded worker process of that runtime's interpreter (``worker``,
``pool``), and compares the answers (``compare``): a runtime that disagrees with the others is
a finding, kept with its module for ``--replay``; it is not a failure of the run (``cli``).
"""
