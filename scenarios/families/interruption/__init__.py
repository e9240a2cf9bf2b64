"""Stopping a runaway guest (seed 001): can each runtime do it, how soon, and at what cost."""
