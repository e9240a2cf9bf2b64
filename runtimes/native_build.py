"""Build a guest's Rust source as a native shared library, once, into a git-ignored cache.

The ``native`` runtime calls the guest's own source compiled for this machine, so it needs a
Rust toolchain that builds for the host (rustup's, or Debian's) and a C linker. Libraries are
cached under ``.cache/native/`` (or ``WASM_INTEROP_NATIVE_CACHE``) by a key over the source,
the compiler's full version and the flags, so a changed source or compiler rebuilds and an
unchanged one never does. Several processes may ask at once (pyperf workers, parallel test
runs): the build runs under a file lock into a temporary folder and is renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from runtimes import build_cache

RUSTC_VAR = "WASM_INTEROP_NATIVE_RUSTC"
CACHE_VAR = "WASM_INTEROP_NATIVE_CACHE"
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "native"
# Same optimisation and panic strategy as the wasm build (guest/build.py), for the host.
FLAGS = ("--edition", "2021", "--crate-type", "cdylib", "-C", "opt-level=3",
         "-C", "panic=abort", "-C", "strip=symbols")
_KEY_VERSION = "1"  # bump when the way libraries are built changes


class NativeBuildError(Exception):
    """The library could not be built or cached; the message says why and what to do."""


@dataclass(frozen=True)
class Toolchain:
    rustc: str
    release: str  # "1.95.0"
    verbose_version: str  # `rustc -vV`, part of the cache key

    @property
    def label(self) -> str:
        return f"rustc {self.release}"


def find_toolchain() -> Toolchain | str:
    """The rustc to build with, or a one-line reason why there is none.

    ``WASM_INTEROP_NATIVE_RUSTC`` names one explicitly; otherwise ``rustc`` on PATH (rustup's,
    when installed), then Debian's ``/usr/bin/rustc``.
    """
    explicit = os.environ.get(RUSTC_VAR, "").strip()
    candidates = [explicit] if explicit else ["rustc", "/usr/bin/rustc"]
    problems = []
    for cand in candidates:
        exe = shutil.which(cand)
        if exe is None:
            problems.append(f"{cand}: not found")
            continue
        try:
            proc = subprocess.run([exe, "-vV"], capture_output=True, text=True, timeout=60)
            sysroot = subprocess.run([exe, "--print", "sysroot"], capture_output=True, text=True,
                                     timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(f"{exe}: {exc}")
            continue
        info = dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
        host = info.get("host", "")
        if proc.returncode != 0 or not host:
            problems.append(f"{exe}: `rustc -vV` failed")
            continue
        if not any((Path(sysroot) / "lib" / "rustlib" / host / "lib").glob("libstd-*")):
            problems.append(f"{exe}: no standard library for the host target {host}")
            continue
        if shutil.which("cc") is None:
            return "rustc needs a C linker (`cc`) to build a shared library; install gcc or clang"
        return Toolchain(exe, info.get("release", "unknown"), proc.stdout.strip())
    where = f"{RUSTC_VAR}={explicit}" if explicit else "PATH or /usr/bin"
    return (f"no Rust toolchain that builds for this machine ({where}: {'; '.join(problems)}); "
            "install one (rustup, or `apt-get install rustc`)")


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_VAR) or DEFAULT_CACHE)


def cache_key(source: bytes, toolchain: Toolchain) -> str:
    h = hashlib.sha256()
    for part in (_KEY_VERSION, toolchain.verbose_version, " ".join(FLAGS)):
        h.update(part.encode() + b"\0")
    h.update(source)
    return h.hexdigest()[:24]


def library(name: str, source_path: Path, toolchain: Toolchain) -> Path:
    """Path of ``source_path`` built as a native cdylib, building it if the cache lacks it."""
    try:
        source = source_path.read_bytes()
    except OSError as exc:
        raise NativeBuildError(f"cannot read {source_path} ({exc.strerror})") from None
    folder = cache_dir()
    target = folder / f"{name}-{cache_key(source, toolchain)}.so"
    if target.exists():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with build_cache.locked(folder):
            if target.exists():  # another process built it while we waited
                return target
            with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp:
                out = Path(tmp) / target.name
                src = Path(tmp) / "lib.rs"
                src.write_bytes(source)  # exactly the bytes that were hashed
                proc = subprocess.run([toolchain.rustc, *FLAGS, str(src), "-o", str(out)],
                                      capture_output=True, text=True, cwd=tmp, timeout=600)
                if proc.returncode != 0:
                    first = next((ln for ln in proc.stderr.splitlines() if ln.strip()),
                                 f"exit code {proc.returncode}")
                    raise NativeBuildError(f"{toolchain.label} could not build {source_path} "
                                           f"natively: {first}")
                os.replace(out, target)
    except OSError as exc:
        raise NativeBuildError(
            f"cannot write the native build cache {folder} ({exc.strerror or exc}); "
            f"set {CACHE_VAR} to a writable folder") from None
    return target
