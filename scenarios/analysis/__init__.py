"""Figures derived from a run's results (pure functions over pandas; no plotting here).

The reporter imports these; they need only what the pyperf files record (values and each
benchmark's metadata), so a run can be re-analysed long after it was made.
"""
