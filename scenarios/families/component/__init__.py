"""The Component Model: the canonical ABI against hand-written marshalling."""
