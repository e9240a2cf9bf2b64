"""The Python reference answers every runtime is checked against before it is timed.

Written for clarity, not speed, and independently of the python baseline runtime (which is
itself validated against these).
"""

from __future__ import annotations

import random
import struct

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


def loop_sum(n: int) -> int:
    """What every host_call loop returns: 0 + 1 + ... + (n - 1), wrapped to i32."""
    return wrap_i32(n * (n - 1) // 2)


def ascii_upper(data: bytes) -> bytes:
    """``upper_copy``'s answer: a-z become A-Z, every other byte stays."""
    return bytes(b - 32 if 97 <= b <= 122 else b for b in data)


def arg_checksum(kind: str, values: list) -> int:
    """``args_<kind>x<n>``'s answer: fold(sum of (k + 1) * bits(value k)) over u64.

    bits is the value's two's-complement pattern for integers (sign-extended to 64 bits) and
    its IEEE 754 pattern for floats (f32 as 32 bits); fold(x) = low 32 bits of x ^ (x >> 32),
    as a signed i32.
    """
    fmt = {"f32": ("<f", "<I"), "f64": ("<d", "<Q")}
    acc = 0
    for k, value in enumerate(values):
        if kind in fmt:
            pack, unpack = fmt[kind]
            bits = struct.unpack(unpack, struct.pack(pack, value))[0]
        else:
            bits = value % 2**64
        acc = (acc + (k + 1) * bits) % 2**64
    return wrap_i32((acc ^ (acc >> 32)) % 2**32)


def arg_values(kind: str, count: int) -> list:
    """Deterministic arguments that exercise each type: full-range integers (i64 beyond i32),
    f32 values exact in binary32, f64 values that are not."""
    rng = random.Random(f"{kind}x{count}")
    if kind == "i32":
        return [rng.randint(I32_MIN, I32_MAX) for _ in range(count)]
    if kind == "i64":
        return [rng.randint(-(2**63), 2**63 - 1) for _ in range(count)]
    if kind == "f32":
        return [rng.randint(-(2**20), 2**20) / 2**rng.randint(0, 12) for _ in range(count)]
    if kind == "f64":
        return [rng.uniform(-1e300, 1e300) / 3 for _ in range(count)]
    raise ValueError(f"unknown wasm value type {kind!r}")


def byte_pattern(size: int) -> bytes:
    """``size`` bytes cycling through every byte value (a binary payload, not text)."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def fib(n: int) -> int:
    """The guest's wrapping Fibonacci number, computed iteratively (as i32, like the guest's)."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) & 0xFFFFFFFF
    return wrap_i32(a)


def churn(rounds: int) -> int:
    """The guest's 64-bit LCG folded onto itself ``rounds`` times; its low 32 bits as i32."""
    state = 0x9E3779B97F4A7C15
    for _ in range(rounds):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        state ^= state >> 29
    return wrap_i32(state)


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
