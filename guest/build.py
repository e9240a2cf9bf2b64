"""Rebuild the guest modules from source with Debian's rustc (the one with a wasm32 target).

    python -m guest.build           # rebuild every guest/<name>.wasm in place
    python -m guest.build --check   # rebuild into a temp dir and compare bytes (exit 1 on drift)

The flags are fixed so the build is reproducible: the same rustc gives the same bytes on any
machine (paths are remapped, symbols stripped). ``toolchain()`` says why a build is impossible.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from guest import GUESTS, Guest

# Debian's rustc 1.63 ships a wasm32 std (libstd-rust-dev-wasm32); rustup's cannot add one here.
RUSTC_CANDIDATES = (os.environ.get("WASM_INTEROP_RUSTC", ""), "/usr/bin/rustc", "rustc")
TARGET = "wasm32-unknown-unknown"
FLAGS = (
    "--edition", "2021", "--target", TARGET, "--crate-type", "cdylib",
    "-C", "opt-level=3", "-C", "panic=abort", "-C", "strip=symbols",
)
# The rustc release the committed bytes were built with; another release gives other bytes.
PINNED_RUSTC = "rustc 1.63.0"


def toolchain() -> tuple[str | None, str]:
    """Return (rustc path, version) for a rustc that can target wasm32, or (None, why not)."""
    for cand in RUSTC_CANDIDATES:
        exe = shutil.which(cand) if cand else None
        if not exe:
            continue
        try:
            sysroot = subprocess.run([exe, "--print", "sysroot"], capture_output=True,
                                     text=True, check=True, timeout=60).stdout.strip()
            version = subprocess.run([exe, "--version"], capture_output=True, text=True,
                                     check=True, timeout=60).stdout.split(" (")[0].strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if (Path(sysroot) / "lib" / "rustlib" / TARGET).is_dir():
            return exe, version
    return None, (f"no rustc with the {TARGET} target found; install Debian's: "
                  "apt-get install rustc libstd-rust-dev-wasm32 lld")


def build(guest: Guest, rustc: str, out: Path) -> bytes:
    """Compile one guest to ``out`` and return its bytes."""
    src_dir = guest.source.parent
    cmd = [rustc, *FLAGS, f"--remap-path-prefix={src_dir}=guest/{guest.name}",
           str(guest.source), "-o", str(out)]
    with tempfile.TemporaryDirectory() as tmp:  # rustc drops intermediate files beside -o
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"building guest {guest.name} failed:\n{proc.stderr}")
    return out.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guest.build",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed bytes")
    args = parser.parse_args(argv)
    rustc, version = toolchain()
    if rustc is None:
        print(f"guest.build: {version}", file=sys.stderr)
        return 2
    drift = 0
    with tempfile.TemporaryDirectory() as tmp:
        for guest in GUESTS.values():
            fresh = build(guest, rustc, Path(tmp) / f"{guest.name}.wasm")
            if args.check:
                same = guest.path.exists() and guest.path.read_bytes() == fresh
                drift += not same
                verdict = "matches" if same else "DIFFERS from"
                print(f"{guest.name}: {verdict} {guest.path} ({version})")
            else:
                tmp_out = guest.path.with_suffix(".wasm.tmp")
                tmp_out.write_bytes(fresh)
                os.replace(tmp_out, guest.path)
                print(f"{guest.name}: wrote {guest.path} ({len(fresh)} bytes, {version})")
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
