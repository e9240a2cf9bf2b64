"""The canonical ABI against hand-written marshalling, from a loaded run.

Who is compared with whom (``pairings``): a runtime's ``canonical_abi`` path with its own
``hand_marshalled`` path (the same engine, the core module, marshalled by hand), and with the
``hand_marshalled`` path of every runtime on the same interpreter that declares itself its
lowest-overhead path (``lowest_path_of`` in the manifest's runtime info: wasmtime-raw for
wasmtime). A runtime that is another's lowest path is listed under that runtime, not on its own.

For each pairing, WIT type (string, list<s32>, list<u8>) and payload size (``compare``):

* both medians (pyperf's) with the 95 % bootstrap interval over processes
  (``stats.median_ci``), and the ratio canonical / by hand with its interval
  (``stats.ratio_ci``): above 1 the canonical ABI is slower;
* per path, the line t = a + b * bytes through the per-process medians
  (``stats.fit_payload``, as for payload sweeps); b times the bytes of one element (4 for a
  list<s32>, 1 for a string of ASCII or a list<u8>) is the cost per element;
* the crossover: where the faster path (by median) changes between two neighbouring sizes,
  the size at which the ratio crosses 1, interpolating log(ratio) linearly in log(size); it
  is "resolved" when the ratios at both neighbours have intervals that exclude 1. No change
  of sign: no crossover in the measured range.
* pathological: a path is flagged when, at 1 KiB (``JUDGED_AT``), its median is more than
  ``PATHOLOGICAL`` (10) times the other path's and the interval of that ratio, when there is
  one, lies wholly above 10 too. No 1 KiB payload in the run: not judged.

The scalar operations (no-op, two i32, a record, a loop of host callbacks) are compared the
same way with the hand-written benchmark each canonical one names in its metadata
(``core_benchmark``; the catalogue's when the canonical cell has no values).
Numbers that do not exist are NaN (a cell without values); the report says why.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyperf

from scenarios.families.component.workloads import BY_HAND, CANONICAL, TYPES, WIT_TYPE
from scenarios.record.key import RunKey
from scenarios.record.status import Status
from scenarios.reporting import stats
from scenarios.reporting.load import NS, Run

PATHOLOGICAL = 10.0  # a path this many times slower than the other at JUDGED_AT is flagged
JUDGED_AT = 1024  # bytes
PATHS = {CANONICAL: "canonical ABI", BY_HAND: "by hand"}
NAN = math.nan
NO_RATIO = stats.Ratio(NAN, NAN, NAN)


@dataclass(frozen=True)
class Pairing:
    """A component path (``canonical``: its ``canonical_abi`` benchmarks) and a core path to
    compare it with (``by_hand``: its ``hand_marshalled`` benchmarks); both report keys."""

    canonical: str
    by_hand: str


@dataclass(frozen=True)
class Point:
    """One benchmark of one key: pyperf's median and its interval, ns (NaN: no values)."""

    key: str
    benchmark: str
    median_ns: float = NAN
    low_ns: float = NAN
    high_ns: float = NAN

    @property
    def timed(self) -> bool:
        return not math.isnan(self.median_ns)


@dataclass(frozen=True)
class Pair:
    """One operation two ways: ``ratio`` = canonical / by hand (NaN when either has no
    number)."""

    pairing: Pairing
    operation: str  # a TYPES kind, or a scalar operation (no_op, add_numbers, ...)
    size: int  # payload bytes (0 for scalar operations)
    elements: int
    canonical: Point
    by_hand: Point
    ratio: stats.Ratio


@dataclass(frozen=True)
class Crossover:
    """Between ``below`` and ``above`` bytes the faster path changes, at about ``at_bytes``."""

    below: int
    above: int
    at_bytes: float
    faster_below: str  # CANONICAL or BY_HAND
    resolved: bool  # both neighbouring ratios' intervals exclude 1


@dataclass(frozen=True)
class TypeSummary:
    """One WIT type of one pairing across sizes: each path's fit, crossovers, the flag."""

    pairing: Pairing
    kind: str
    bytes_per_element: int
    fits: dict[str, stats.PayloadFit | None]  # by path (CANONICAL, BY_HAND)
    crossovers: tuple[Crossover, ...]
    pathological: str  # "", CANONICAL or BY_HAND
    judged: stats.Ratio  # the ratio at JUDGED_AT (NaN: not measured)

    def per_element_ns(self, path: str) -> tuple[float, float]:
        """(cost per element, its standard error) of ``path``'s fit (NaN, NaN: no fit)."""
        fit = self.fits[path]
        if fit is None:
            return NAN, NAN
        return fit.per_byte_ns * self.bytes_per_element, fit.per_byte_se * self.bytes_per_element


@dataclass(frozen=True)
class Comparison:
    """Everything the section and the scorecard show."""

    pairings: tuple[Pairing, ...]
    sizes: tuple[int, ...]
    payloads: tuple[Pair, ...]  # per pairing, kind, size
    scalars: tuple[Pair, ...]  # per pairing, scalar operation
    types: tuple[TypeSummary, ...]  # per pairing, kind

    def pair(self, pairing: Pairing, operation: str, size: int = 0) -> Pair | None:
        return next((p for p in (*self.payloads, *self.scalars) if p.pairing == pairing
                     and p.operation == operation and p.size == size), None)

    def summary(self, pairing: Pairing, kind: str) -> TypeSummary | None:
        return next((t for t in self.types if t.pairing == pairing and t.kind == kind), None)


# --- who is compared with whom ---------------------------------------------------------------

def pairings(run: Run) -> list[Pairing]:
    """Each key that attempted either scenario with itself, and with the keys on its
    interpreter that are its lowest paths; those keys are not listed on their own."""
    attempted = set(run.cells.loc[run.cells["scenario"].isin([CANONICAL, BY_HAND]), "key"])
    keys = [k for k in run.keys if k in attempted]
    lowest: dict[str, str] = {}  # key -> key of the runtime it is the lowest path of
    for key in keys:
        entry = run.entry(key)
        target = entry.info.get("lowest_path_of") if entry else None
        if entry and target and str(RunKey(target, entry.interpreter)) in keys:
            lowest[key] = str(RunKey(target, entry.interpreter))
    out = []
    for key in keys:
        if key in lowest:
            continue
        out.append(Pairing(key, key))
        out += [Pairing(key, low) for low, of in lowest.items() if of == key]
    return out


# --- numbers of single benchmarks --------------------------------------------------------------

def _bench(run: Run, key: str, name: str) -> pyperf.Benchmark | None:
    """The pyperf benchmark of a cell whose status is ok (the manifest's status rules)."""
    cells = run.cells[(run.cells["key"] == key) & (run.cells["benchmark"] == name)]
    if cells.empty or cells.iloc[0]["status"] != Status.OK:
        return None
    return run.benchmarks.get((key, name))


def point(run: Run, key: str, name: str) -> Point:
    bench = _bench(run, key, name)
    if bench is None:
        return Point(key, name)
    low, high = stats.median_ci(stats.process_matrix(bench))
    return Point(key, name, bench.median() * NS, low * NS, high * NS)


def ratio(run: Run, canonical: Point, by_hand: Point) -> stats.Ratio:
    if not (canonical.timed and by_hand.timed):
        return NO_RATIO
    new = run.benchmarks[(canonical.key, canonical.benchmark)]
    base = run.benchmarks[(by_hand.key, by_hand.benchmark)]
    return stats.ratio_ci(stats.process_matrix(new), stats.process_matrix(base))


def process_medians(run: Run, key: str, names: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """(payload bytes, median ns) per process of the timed benchmarks ``names`` of ``key``."""
    x: list[float] = []
    y: list[float] = []
    for name in names:
        bench = _bench(run, key, name)
        if bench is None:
            continue
        size = float(bench.get_metadata()["payload_bytes"])
        for values in (r.values for r in bench.get_runs() if r.values):
            x.append(size)
            y.append(float(np.median(values)) * NS)
    return np.array(x), np.array(y)


# --- the comparison ----------------------------------------------------------------------------

def _names(run: Run, scenario: str) -> list[str]:
    return sorted(set(run.cells.loc[run.cells["scenario"] == scenario, "benchmark"].dropna()))


def payload_sizes(run: Run) -> list[int]:
    """The payload sizes of either scenario in this run (from benchmark names)."""
    sizes = {int(n.rsplit("/", 1)[1]) for s in (CANONICAL, BY_HAND) for n in _names(run, s)
             if n.split("/")[1] in TYPES}
    return sorted(sizes)


def elements(kind: str, size: int) -> int:
    """Elements of a payload of ``size`` bytes (a list<s32> holds size / 4)."""
    return size // bytes_per_element(kind)


def bytes_per_element(kind: str) -> int:
    return 4 if WIT_TYPE[kind] == "list<s32>" else 1


def counterparts(run: Run) -> dict[str, str]:
    """Scalar canonical benchmark -> the hand-written benchmark it names (``core_benchmark``),
    from the results, else from the catalogue."""
    from scenarios import catalog

    out = {b.name: str(b.metadata["core_benchmark"]) for b in catalog.get(CANONICAL).benchmarks()
           if not b.payload_bytes}
    for (_, name), bench in run.benchmarks.items():
        meta = bench.get_metadata()
        if meta.get("scenario") == CANONICAL and not meta.get("payload_bytes") \
                and "core_benchmark" in meta:
            out[name] = str(meta["core_benchmark"])
    return out


def crossovers(pairs: list[Pair]) -> tuple[Crossover, ...]:
    """Where the faster path changes between neighbouring sizes (pairs sorted by size)."""
    timed = [p for p in pairs if p.ratio.value > 0 and math.isfinite(p.ratio.value)]
    out = []
    for lo, hi in itertools.pairwise(timed):
        r0, r1 = math.log(lo.ratio.value), math.log(hi.ratio.value)
        if (r0 < 0) == (r1 < 0):
            continue
        x0, x1 = math.log(lo.size), math.log(hi.size)
        at = math.exp(x0 + (x1 - x0) * r0 / (r0 - r1))
        out.append(Crossover(lo.size, hi.size, at, CANONICAL if r0 < 0 else BY_HAND,
                             lo.ratio.significant and hi.ratio.significant))
    return tuple(out)


def pathological(judged: stats.Ratio) -> str:
    """The path flagged at JUDGED_AT by the ratio canonical / by hand there ("" if none)."""
    r = judged
    if not math.isfinite(r.value):
        return ""
    if r.value > PATHOLOGICAL and (not r.has_interval or r.low > PATHOLOGICAL):
        return CANONICAL
    if r.value < 1 / PATHOLOGICAL and (not r.has_interval or r.high < 1 / PATHOLOGICAL):
        return BY_HAND
    return ""


def summarize(run: Run, pairing: Pairing, kind: str, pairs: list[Pair]) -> TypeSummary:
    fits = {}
    for path, key in ((CANONICAL, pairing.canonical), (BY_HAND, pairing.by_hand)):
        x, y = process_medians(run, key, (f"{path}/{kind}/{p.size}" for p in pairs))
        fits[path] = stats.fit_payload(x, y)
    judged = next((p.ratio for p in pairs if p.size == JUDGED_AT), NO_RATIO)
    return TypeSummary(pairing, kind, bytes_per_element(kind), fits, crossovers(pairs),
                       pathological(judged), judged)


def compare(run: Run) -> Comparison:
    """The comparison of every pairing of ``run`` (empty when neither scenario was run)."""
    sizes = payload_sizes(run)
    scalar = counterparts(run)
    attempted = set(_names(run, CANONICAL))  # a profile may leave some out
    payloads: list[Pair] = []
    scalars: list[Pair] = []
    types: list[TypeSummary] = []

    def pair(pairing: Pairing, operation: str, size: int, canonical: str, by_hand: str
             ) -> Pair:
        c, h = point(run, pairing.canonical, canonical), point(run, pairing.by_hand, by_hand)
        return Pair(pairing, operation, size, elements(operation, size) if size else 1, c, h,
                    ratio(run, c, h))

    found = pairings(run)
    for pairing in found:
        for kind in TYPES:
            mine = [pair(pairing, kind, n, f"{CANONICAL}/{kind}/{n}", f"{BY_HAND}/{kind}/{n}")
                    for n in sizes]
            payloads += mine
            types.append(summarize(run, pairing, kind, mine))
        scalars += [pair(pairing, name.split("/", 1)[1], 0, name, core)
                    for name, core in scalar.items() if name in attempted]
    return Comparison(tuple(found), tuple(sizes), tuple(payloads), tuple(scalars), tuple(types))
