"""The Python reference answers every runtime is checked against before it is timed.

Written for clarity, not speed, and independently of the python baseline runtime (which is
itself validated against these).
"""

from __future__ import annotations

import random

I32_MIN, I32_MAX = -(2**31), 2**31 - 1
_TEXT = b"The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. "


def wrap_i32(x: int) -> int:
    """Two's-complement wrap to i32, as the guest's wrapping arithmetic does."""
    x &= 0xFFFFFFFF
    return x - 2**32 if x > I32_MAX else x


def add_i32(a: int, b: int) -> int:
    return wrap_i32(a + b)


def reverse_bytes(data: bytes) -> bytes:
    return bytes(reversed(data))


def sum_i32(values: list[int]) -> int:
    total = 0
    for v in values:
        total = wrap_i32(total + v)
    return total


def text(size: int) -> bytes:
    """Deterministic ASCII text of exactly ``size`` bytes (the 'string' payload)."""
    reps = size // len(_TEXT) + 1
    return (_TEXT * reps)[:size]


def i32_array(count: int, seed: int = 2026) -> list[int]:
    """Deterministic full-range i32 values, so sums overflow and wrapping is exercised."""
    rng = random.Random(seed + count)
    return [rng.randint(I32_MIN, I32_MAX) for _ in range(count)]


def mix_loop(n: int) -> int:
    """What the floor guest's ``call_loop(n)``/``inline_loop(n)`` return (u32 seen as i32)."""
    acc = 0
    for i in range(n):
        acc = (((acc << 5) | (acc >> 27)) & 0xFFFFFFFF) ^ i
    return wrap_i32(acc)


def reverse_repeat(data: bytes, reps: int) -> tuple[int, bytes]:
    """The floor guest's ``reverse_repeat`` on ``data``: (its return value, the bytes after)."""
    acc = 0
    for _ in range(reps):
        data = reverse_bytes(data)
        acc = (acc * 31 + (data[0] if data else 0)) & 0xFFFFFFFF
    return wrap_i32(acc), data
