"""Python references for the scenarios in this folder (imported as ``checksum_ref:fnv1a``)."""


def fnv1a(data: bytes) -> int:
    """32-bit FNV-1a, returned as the signed i32 a wasm export gives back."""
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h - 2**32 if h >= 2**31 else h
