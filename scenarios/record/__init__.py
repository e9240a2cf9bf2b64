"""The run's typed contract: what the orchestrator, the benchmark processes and the reporter
agree on, in one place.

    paths.py     where the project, its venvs and its results live
    exits.py     exit codes a benchmark process ends with, as the orchestrator reads them, and
                 the run command's (which statuses make it fail)
    status.py    ``Status`` (how a benchmark, a scenario or a cell ended) and ``Event`` (what a
                 benchmark process writes to its events file)
    key.py       ``RunKey``: a runtime on an interpreter, ``runtime@interpreter`` in files
    manifest.py  ``Manifest`` and the records it holds; the only reader and writer of
                 ``manifest.json``

Nothing here imports a runtime, pyperf or pandas: benchmark processes and the reporter both
import it cheaply.
"""
