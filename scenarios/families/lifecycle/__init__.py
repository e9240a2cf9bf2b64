"""A module's life: cold start, compile against size, instantiate, first call, and caches."""
