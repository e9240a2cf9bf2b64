"""Workload definitions, the benchmark harness and the command-line entry points."""
