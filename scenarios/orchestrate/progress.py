"""What a run will measure, roughly how long it will take, and how far it has got.

``Plan`` lists the cells (runtime/interpreter pair x scenario) with their benchmarks and an
estimate of each cell's wall time from the settings its processes will get (processes,
values, warm-ups, minimum value time) and a process's start-up. The estimate is rough (a
compile's or a deadline's time is guessed, not known); the ETA while running scales it by
how long the cells so far really took. ``Bar`` shows done/total benchmarks: a tqdm bar on a
terminal, plain lines otherwise.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from tqdm import tqdm

from runtimes.base import Capability
from scenarios import catalog
from scenarios.catalog import profiles
from scenarios.harness.bench import explicit_settings
from scenarios.record.manifest import Manifest, PlanEntry

PROCESS_START_S = 0.45  # a benchmark process: interpreter, imports, runtime, guest compiled
SECONDS_PER_MODULE_BYTE = 0.8e-6  # a cold compile: Cranelift took 6.5-7.4 s for 8 MiB here
ONE_OPERATION_S = 0.05  # any other operation timed once per value (loops=1), a guess
CACHE_HIT_S = 0.02  # a module loaded from a cache and instantiated, a guess
# one loop of a benchmark with a fixed loop count above 1 (first_call: a fresh instance and a
# call); about 2.5 ms on average over every runtime in the full run of 2026-12-01
FIXED_LOOP_S = 2.5e-3


def capabilities(info: dict[str, Any]) -> set[Capability]:
    """What a runtime can do, as its probe recorded it (a plan entry's ``info``)."""
    return {Capability(c) for c in info.get("capabilities", [])}


@dataclass(frozen=True)
class Cell:
    runtime: str
    interpreter: str
    scenario: str
    benchmarks: int
    seconds: float  # estimated wall time
    declined: bool  # the runtime lacks what the scenario needs: no process is started

    @property
    def key(self) -> tuple[str, str, str]:
        return self.runtime, self.interpreter, self.scenario


def settings(bench: catalog.Benchmark, scenario: catalog.Scenario, profile: profiles.Profile,
             pyperf_args: Sequence[str]) -> dict[str, float]:
    """The pyperf settings ``bench`` will be measured with (as ``scenarios.harness.bench``
    resolves them)."""
    s = {"processes": 20, "values": 3, "warmups": 1, "loops": 0, "min_time": 0.1,
         **profile.pyperf, **scenario.settings(profile.name), **bench.defaults,
         **explicit_settings(list(pyperf_args))}
    if "--fast" in pyperf_args:
        s["processes"], s["values"] = max(s["processes"] // 2, 3), max(s["values"] * 2 // 3, 2)
    elif "--rigorous" in pyperf_args:
        s["processes"] *= 2
    return s


def estimate(benches: Sequence[catalog.Benchmark], scenario: catalog.Scenario,
             profile: profiles.Profile, pyperf_args: Sequence[str]) -> float:
    """Rough wall time of a cell: its main process validates and calibrates every benchmark,
    then each round's worker process measures every benchmark that wants another process."""
    if not benches:
        return PROCESS_START_S
    total, rounds = PROCESS_START_S, {}
    for bench in benches:
        s = settings(bench, scenario, profile, pyperf_args)
        if bench.sized_module:  # the cell's main process compiles it once, to validate
            validation = SECONDS_PER_MODULE_BYTE * bench.payload_bytes
            one = validation if bench.compiles_each_value else CACHE_HIT_S
            value, recheck = max(one * (s["loops"] or 1), s["min_time"]), one
        elif s["loops"]:
            one = ONE_OPERATION_S if s["loops"] == 1 else FIXED_LOOP_S
            value, validation = max(one * s["loops"], s["min_time"]), one
            recheck = validation / 2
        else:
            value, validation = s["min_time"], 2 * s["min_time"]
            recheck = validation / 2
        validation = bench.validation_s or validation
        total += validation
        for i in range(int(s["processes"])):  # a worker validates before it times
            rounds[i] = rounds.get(i, PROCESS_START_S) + recheck + (
                s["warmups"] + s["values"]) * value
    return total + sum(rounds.values())


@dataclass(frozen=True)
class Plan:
    cells: tuple[Cell, ...]
    profile: profiles.Profile

    @classmethod
    def from_manifest(cls, manifest: Manifest, scenarios: Sequence[catalog.Scenario],
                      profile: profiles.Profile) -> Plan:
        return cls.build(manifest.plan, scenarios, profile, manifest.options.max_bytes,
                         manifest.pyperf_args)

    @classmethod
    def build(cls, pairs: Sequence[PlanEntry], scenarios: Sequence[catalog.Scenario],
              profile: profiles.Profile, max_bytes: int | None, pyperf_args: Sequence[str]
              ) -> Plan:
        cells = []
        for pair in pairs:
            has = capabilities(pair.info)
            for sc in scenarios:
                if pair.only is not None and sc.name not in pair.only:
                    continue
                benches = sc.benchmarks(max_bytes, profile.headline_only)
                declined = not sc.requires <= has
                seconds = 0.0 if declined else estimate(
                    [b for b in benches if b.requires <= has], sc, profile, pyperf_args)
                cells.append(Cell(pair.runtime, pair.interpreter, sc.name, len(benches),
                                  seconds, declined))
        return cls(tuple(cells), profile)

    @property
    def benchmarks(self) -> int:
        return sum(c.benchmarks for c in self.cells)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.cells)

    def show(self, skipped: dict[str, str], brief: bool = False, out: TextIO = sys.stdout
             ) -> None:
        """What will run, per pair, and roughly how long; ``brief`` before a run starts."""
        pairs: dict[tuple[str, str], list[Cell]] = {}
        for c in self.cells:
            pairs.setdefault((c.runtime, c.interpreter), []).append(c)
        if not brief:
            print(f"Profile {self.profile.name}: {self.profile.summary}", file=out)
        for (runtime, interpreter), cells in pairs.items():
            ran = [c for c in cells if not c.declined]
            seconds = sum(c.seconds for c in ran)
            print(f"  {runtime:18} on {interpreter:16} {len(ran):2} scenarios, "
                  f"{sum(c.benchmarks for c in ran):3} benchmarks, ~{_clock(seconds)}", file=out)
            if not brief:
                for c in cells:
                    what = "not supported" if c.declined else f"~{_clock(c.seconds)}"
                    print(f"      {c.scenario:20} {c.benchmarks:3} benchmarks  {what}", file=out)
        for name, reason in skipped.items():
            print(f"  {name:18} NOT RUN: {reason}", file=out)
        print(f"About {_clock(self.seconds)} for {self.benchmarks} benchmarks in "
              f"{len(self.cells)} cells (a rough estimate; machines differ up to 3x).",
              file=out)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}" if minutes else f"{secs} s"


class Bar:
    """Done/total benchmarks with an ETA: a progress bar on a terminal, else a line per cell.

    The ETA is the plan's estimate for what is left, scaled by how long the cells finished in
    this process really took against their estimate.
    """

    def __init__(self, plan: Plan, done: Iterable[tuple[str, str, str]] = (),
                 out: TextIO = sys.stdout) -> None:
        finished = set(done)
        self.cells = {c.key: c for c in plan.cells}
        self.left = {k for k in self.cells if k not in finished}
        self.done = sum(c.benchmarks for k, c in self.cells.items() if k in finished)
        self.total = plan.benchmarks
        self.out = out
        self.started = time.monotonic()
        self.estimated_done = 0.0  # the estimate of what finished in this process
        self.current = 0  # benchmarks of the running cell finished
        self.bar: tqdm | None = None
        if out.isatty():
            self.bar = tqdm(total=self.total, initial=self.done, unit="bench", file=out,
                            dynamic_ncols=True, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} "
                            "benchmarks [{elapsed}{postfix}]")

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def begin(self, key: str, scenario: str) -> None:
        self.current = 0
        if self.bar is not None:
            self.bar.set_description_str(f"{key} {scenario}", refresh=False)
            self.bar.set_postfix_str(self.eta(), refresh=True)

    def advance(self, finished: int) -> None:
        """The running cell has ``finished`` benchmarks done."""
        if self.bar is not None and finished > self.current:
            self.bar.update(finished - self.current)
        self.current = max(self.current, finished)

    def finish(self, runtime: str, interpreter: str, scenario: str, line: str) -> None:
        key = (runtime, interpreter, scenario)
        cell = self.cells.get(key)
        if cell is not None and key in self.left:
            self.left.discard(key)
            self.estimated_done += cell.seconds
            if self.bar is not None:
                self.bar.update(cell.benchmarks - self.current)
            self.done += cell.benchmarks
        self.current = 0
        if self.bar is not None:
            self.bar.set_postfix_str(self.eta(), refresh=False)
            self.bar.write(line, file=self.out)
        else:
            print(f"{line}  ({self.done}/{self.total} benchmarks, {self.eta()})", file=self.out,
                  flush=True)

    def eta(self) -> str:
        remaining = sum(self.cells[k].seconds for k in self.left)
        if self.estimated_done > 0:
            remaining *= (time.monotonic() - self.started) / self.estimated_done
        return f"about {_clock(remaining)} left"
