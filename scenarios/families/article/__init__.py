"""The seed article: call overhead, primitives, strings, arrays, allocation."""
