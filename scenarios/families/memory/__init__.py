"""Memory: what an engine, a module and an instance hold resident, and what a host that never
frees leaks (bytes, read in fresh processes; see ``workloads``)."""
