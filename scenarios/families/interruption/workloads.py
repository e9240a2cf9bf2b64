"""Stopping a runaway guest (seed 001): can each runtime do it, how soon, and at what cost.

Mechanisms: what a runtime declares (``Capability.EPOCH_INTERRUPTION``, ``Capability.FUEL``),
used through its sibling from ``Runtime.with_interruption`` so that ordinary scenarios never
pay for them; and the harness's own last resort, ``kill``, open to every runtime: the guest
runs in a child process (``scenarios.families.interruption.killable``) that is ended with
SIGKILL. A benchmark that needs a mechanism the runtime lacks reads "not supported" (its
prepare raises NotSupported).

- ``interrupt_latency/<epoch|kill>/<D>ms``: ``spin`` (it never returns) is stopped D ms after
  it started; a value is the time from that deadline to control back in Python (for kill: the
  parent has reaped the child). An alarm thread sleeps until just before the deadline, then
  polls the clock, so the stop is requested within microseconds of it on a quiet machine.
  ``interrupt_latency/floor/<D>ms`` is the alarm alone, with nothing to stop: the floor under
  the others (without the contention a spinning guest adds when few cores are free). Fuel is a
  budget of work, not a deadline, so it has no latency here; ``recovery/fuel`` shows it stopping
  spin.
- ``interrupt_overhead/<fib|churn>/<off|epoch|fuel>``: the same compute with the mechanism
  enabled (a far deadline, ample fuel) and without it; the pairs give the cost of being able
  to stop a guest (so "off" runs only where some in-runtime mechanism does).
- ``recovery/<epoch|fuel|kill>``: after ``spin`` was stopped, the time until the guest answers
  correctly again, by the cheapest path that works: the same instance re-armed ("reuse"), a
  new instance ("rebuild"), or a new process ("restart").

Every operation is validated: the stop must surface as the mechanism's own interruption (a
trap the runtime attributes to it, or the process killed by SIGKILL) no earlier than the
deadline, and every answer must equal the reference. A value is one operation (the
scenario default ``loops=1``) for latency and recovery, so pyperf's values are the distribution
itself.
"""

from __future__ import annotations

import functools
import queue
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from runtimes.base import Capability, NotSupported, Trap
from scenarios.catalog import (
    Benchmark,
    Scenario,
    Session,
    ValidationError,
    Workload,
    named,
    reference,
    register,
    register_summary,
)
from scenarios.families.interruption.killable import GuestProcess
from scenarios.record.manifest import Manifest

GUEST = "compute"
EPOCH, FUEL, KILL, FLOOR = "epoch", "fuel", "kill", "floor"
CAPABILITY = {EPOCH: Capability.EPOCH_INTERRUPTION, FUEL: Capability.FUEL}
DEADLINES_MS = (1, 10, 100)
RECOVERY_DEADLINE_S = 0.001
VALIDATION_DEADLINE_S = 0.1
WORKLOADS = {"fib": 25, "churn": 300_000}  # export -> argument: ~1-2 ms each in wasm
PROBE = ("fib", 10)  # the call that shows a stopped guest answers correctly again
FUEL_BUDGET = 1_000_000  # stops spin within a fraction of a millisecond
FAR_TICKS = AMPLE_FUEL = 1 << 62
EXPORTS = {"spin": "() -> ()", "fib": "(i32) -> i32", "churn": "(i32) -> i32"}


@functools.cache
def expected(export: str, argument: int) -> int:
    """The reference answer (cached: churn takes a while in Python)."""
    return {"fib": reference.fib, "churn": reference.churn}[export](argument)


class Alarm:
    """One thread that runs an action at a ``time.perf_counter`` deadline."""

    POLL = 0.0005  # seconds before the deadline at which sleeping gives way to polling

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[Shot] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="deadline-alarm", daemon=True).start()

    def at(self, deadline: float, action: Callable[[], None]) -> Shot:
        shot = Shot(deadline, action)
        self._requests.put(shot)
        return shot

    def _serve(self) -> None:
        while True:
            shot = self._requests.get()
            early = shot.deadline - time.perf_counter() - self.POLL
            if early > 0:
                time.sleep(early)
            while time.perf_counter() < shot.deadline:
                pass
            try:
                shot.action()
            except BaseException as exc:  # handed to the waiting thread
                shot.error = exc
            shot.done.set()


class Shot:
    """One scheduled action; ``wait`` returns once it ran (re-raising what it raised)."""

    def __init__(self, deadline: float, action: Callable[[], None]) -> None:
        self.deadline, self.action = deadline, action
        self.done = threading.Event()
        self.error: BaseException | None = None

    def wait(self) -> None:
        self.done.wait()
        if self.error is not None:
            raise self.error


@functools.cache
def alarm() -> Alarm:
    return Alarm()


class Stopper(ABC):
    """One way to stop the runaway ``spin`` and to get a working guest back afterwards."""

    name: str
    has_deadline = True  # False: it stops after a budget, not when told to
    path: str | None = None  # how ``recover`` gets a working guest back, once known
    validated = False  # set after the first stop, which ``bench.check`` never times

    @abstractmethod
    def arm(self) -> None:
        """Untimed preparation before each run-away (set a deadline, start a process)."""

    @abstractmethod
    def begin(self) -> None:
        """Return once the run-away is about to start (the deadline counts from here)."""

    @abstractmethod
    def finish(self) -> Any:
        """Run the run-away, or wait for it, until it is stopped; return how it ended."""

    @abstractmethod
    def fire(self) -> None:
        """Stop it (the alarm calls this at the deadline, from its own thread)."""

    @abstractmethod
    def verify(self, ending: Any) -> dict[str, Any]:
        """What surfaced, if it was this mechanism's stop; else raise ValidationError."""

    @abstractmethod
    def recover(self) -> Any:
        """Get the guest working again and return its answer to ``PROBE`` (this is timed)."""


class InRuntime(Stopper):
    """Epoch deadline or fuel budget, on an instance of the runtime's interruptible sibling."""

    def __init__(self, session: Session, name: str) -> None:
        self.name = name
        self.capability = CAPABILITY[name]
        self.has_deadline = name == EPOCH
        self.session = interruptible(session, name)
        self._instantiate()

    def _instantiate(self) -> None:
        self.instance = self.session.instance(GUEST)  # starts with a far deadline / ample fuel
        self.spin = self.instance.export("spin")
        self.probe = self.instance.export(PROBE[0])

    def arm(self) -> None:
        if self.name == EPOCH:
            self.instance.set_epoch_deadline(1)  # trap at the next tick
        else:
            self.instance.set_fuel(FUEL_BUDGET)

    def begin(self) -> None:
        return None  # the call to spin starts it

    def disarm(self) -> None:
        if self.name == EPOCH:
            self.instance.set_epoch_deadline(FAR_TICKS)
        else:
            self.instance.set_fuel(AMPLE_FUEL)

    def fire(self) -> None:
        if self.name == EPOCH:
            self.session.runtime.increment_epoch()

    def finish(self) -> BaseException | None:
        try:
            self.spin()
        except Exception as exc:
            return exc
        return None

    def verify(self, ending: BaseException | None) -> dict[str, Any]:
        if ending is None:
            raise ValidationError("spin returned: the guest was not stopped")
        err = self.session.runtime.explain(ending)
        if not isinstance(err, Trap) or err.interrupted_by is not self.capability:
            raise ValidationError(f"stopping by {self.name} surfaced {err.describe()!r}, "
                                  f"not an interruption by {self.name}")
        kind = type(ending)
        return {"exception": f"{kind.__module__}.{kind.__qualname__}", "trap_code": err.code,
                "detail": err.describe()}

    def recover(self) -> Any:
        if self.path is None:  # the first time: does the stopped instance still work?
            self.path = "reuse" if self._reusable() else "rebuild"
        if self.path == "rebuild":
            self._instantiate()
        else:
            self.disarm()
        return self.probe(PROBE[1])

    def _reusable(self) -> bool:
        try:
            self.disarm()
            return self.probe(PROBE[1]) == expected(*PROBE)
        except Exception:
            return False


class Kill(Stopper):
    """The harness's last resort: the guest in a child process, ended with SIGKILL."""

    name = KILL
    path = "restart"

    def __init__(self, session: Session) -> None:
        self.runtime = session.runtime.name
        self.child: GuestProcess | None = None

    def _spawn(self) -> GuestProcess:
        if self.child is not None:
            self.child.close()
        self.child = GuestProcess(self.runtime, GUEST)
        return self.child

    def arm(self) -> None:
        if self.child is None or not self.child.alive:
            self._spawn()

    def begin(self) -> None:
        assert self.child is not None
        self.child.start("spin")

    def finish(self) -> int | str:
        assert self.child is not None
        return self.child.outcome()

    def fire(self) -> None:
        assert self.child is not None
        self.child.kill()

    def verify(self, ending: int | str) -> dict[str, Any]:
        if ending != -signal.SIGKILL:
            raise ValidationError(f"the guest process was not ended by SIGKILL: {_ended(ending)}")
        return {"exception": None, "trap_code": None, "detail": "process ended by SIGKILL"}

    def recover(self) -> Any:
        return self._spawn().call(*PROBE)


class Floor(Stopper):
    """Nothing to stop: the main thread waits (GIL released) until the alarm acts."""

    name = FLOOR

    def __init__(self) -> None:
        self._acted = threading.Event()

    def arm(self) -> None:
        self._acted.clear()

    def begin(self) -> None:
        return None

    def finish(self) -> bool:
        return self._acted.wait()

    def fire(self) -> None:
        self._acted.set()

    def verify(self, ending: bool) -> dict[str, Any]:
        return {"exception": None, "trap_code": None, "detail": "nothing to stop: the alarm alone"}

    def recover(self) -> Any:
        raise NotImplementedError("nothing was stopped")


def _ended(ending: int | str) -> str:
    if isinstance(ending, str):
        return f"the call answered {ending!r}"
    try:
        return f"it ended by {signal.Signals(-ending).name}" if ending < 0 else \
            f"it exited with code {ending}"
    except ValueError:
        return f"it ended with code {ending}"


def interruptible(session: Session, name: str) -> Session:
    """The session on the runtime's sibling stoppable by ``name``; NotSupported if it has none."""
    if CAPABILITY[name] not in session.runtime.capabilities:
        raise NotSupported(f"needs {CAPABILITY[name].value}")
    return session.with_interruption(CAPABILITY[name])


def stopper(session: Session, name: str) -> Stopper:
    if name == FLOOR:
        return Floor()
    return Kill(session) if name == KILL else InRuntime(session, name)


def _stop(stop: Stopper, deadline_s: float) -> tuple[float, float, dict[str, Any]]:
    """Run ``spin`` and stop it ``deadline_s`` after it began: (deadline, back, facts).

    A stopper's first stop is its validation (never timed) and waits at least
    ``VALIDATION_DEADLINE_S``: a guest in another process that returns by itself could
    otherwise be killed before its answer is written, on a busy machine, and pass for stopped.
    """
    if not stop.validated:
        deadline_s = max(deadline_s, VALIDATION_DEADLINE_S)
    stop.arm()
    stop.begin()
    deadline = time.perf_counter() + deadline_s
    shot = alarm().at(deadline, stop.fire) if stop.has_deadline else None
    ending = stop.finish()
    back = time.perf_counter()
    if shot is not None:
        shot.wait()
    facts = stop.verify(ending)
    if shot is not None and back < deadline:
        raise ValidationError(f"stopped {(deadline - back) * 1e3:.3f} ms before the deadline")
    stop.validated = True
    return deadline, back, facts


def _latency(name: str, deadline_ms: int) -> Callable[[Session], Workload]:
    def prepare(session: Session) -> Workload:
        stop = stopper(session, name)
        facts: dict[str, Any] = {"mechanism": name, "deadline_ms": deadline_ms}

        def measure(loops: int) -> float:
            total = 0.0
            for _ in range(loops):
                deadline, back, seen = _stop(stop, deadline_ms / 1000)
                facts.update(seen)
                total += back - deadline
            return total

        return Workload("", {}, measure=measure, facts=facts)
    return prepare


def _recovery(name: str) -> Callable[[Session], Workload]:
    def prepare(session: Session) -> Workload:
        stop = stopper(session, name)
        facts: dict[str, Any] = {"mechanism": name}
        want = expected(*PROBE)

        def measure(loops: int) -> float:
            total = 0.0
            for _ in range(loops):
                facts.update(_stop(stop, RECOVERY_DEADLINE_S)[2])
                t0 = time.perf_counter()
                answer = stop.recover()
                total += time.perf_counter() - t0
                if answer != want:
                    raise ValidationError(f"after stopping ({stop.path}), {PROBE[0]}"
                                          f"({PROBE[1]}) gave {answer!r}, expected {want}")
                facts["outcome"] = stop.path
            return total

        return Workload("", {}, measure=measure, facts=facts)
    return prepare


def _overhead(export: str, argument: int, name: str | None) -> Callable[[Session], Workload]:
    def prepare(session: Session) -> Workload:
        if name is not None:
            session = interruptible(session, name)
        elif not set(CAPABILITY.values()) & session.runtime.capabilities:
            # "off" is only the other side of a ratio: it runs where a mechanism does
            raise NotSupported(f"needs one of {', '.join(c.value for c in CAPABILITY.values())}")
        f = session.instance(GUEST).export(export)
        return Workload("r = f(n)", {"f": f, "n": argument}, result="r",
                        expect=expected(export, argument))
    return prepare


# A value is one operation, so pyperf's values are the distribution itself.
ONE_PER_VALUE = {"loops": 1}


def _latency_benchmarks() -> Iterator[Benchmark]:
    for name in (FLOOR, EPOCH, KILL):
        for ms in DEADLINES_MS:
            yield Benchmark(f"interrupt_latency/{name}/{ms}ms", "interrupt_latency",
                            _latency(name, ms), guest=None if name == FLOOR else GUEST,
                            inner_loops=1,
                            metadata={"mechanism": name, "deadline_ms": ms})


def _overhead_benchmarks() -> Iterator[Benchmark]:
    for export, argument in WORKLOADS.items():
        for name in (None, EPOCH, FUEL):
            yield Benchmark(f"interrupt_overhead/{export}/{name or 'off'}", "interrupt_overhead",
                            _overhead(export, argument, name), guest=GUEST, inner_loops=1,
                            metadata={"mechanism": name or "off", "workload": export,
                                      "argument": argument})


def _recovery_benchmarks() -> Iterator[Benchmark]:
    for name in (EPOCH, FUEL, KILL):
        yield Benchmark(f"recovery/{name}", "recovery", _recovery(name), guest=GUEST,
                        inner_loops=1, metadata={"mechanism": name})


register(Scenario(
    "interrupt_latency", "stop an infinite loop 1/10/100 ms after it started: time from the "
    "deadline to control back in Python", frozenset(), _latency_benchmarks, (GUEST,),
    {"spin": EXPORTS["spin"]}, defaults=ONE_PER_VALUE,
    # every value starts a guest process: 2 a process and no warm-up in the quick profile
    profile_defaults={"quick": {"warmups": 0, "values": 2}},
    headline=named(f"interrupt_latency/{EPOCH}/10ms", f"interrupt_latency/{KILL}/10ms")))
register(Scenario(
    "interrupt_overhead", "fib(25) and a 300,000-round loop with an interruption mechanism "
    "enabled (far deadline, ample fuel) and without", frozenset(), _overhead_benchmarks,
    (GUEST,), {"fib": EXPORTS["fib"], "churn": EXPORTS["churn"]},
    headline=named("interrupt_overhead/fib/off", f"interrupt_overhead/fib/{EPOCH}",
                   f"interrupt_overhead/fib/{FUEL}")))
register(Scenario(
    "recovery", "after stopping an infinite loop: time until the guest answers correctly again "
    "(same instance, new instance or new process)", frozenset(), _recovery_benchmarks,
    (GUEST,), {"spin": EXPORTS["spin"], PROBE[0]: EXPORTS[PROBE[0]]}, defaults=ONE_PER_VALUE))
def _summarize(run_dir: Path, manifest: Manifest) -> dict[str, Any] | None:
    """Imported only when a run ends, so numpy and scipy stay out of every benchmark process
    (they cost each one over a second of start-up)."""
    from scenarios.families.interruption.figures import summarize

    return summarize(run_dir, manifest)


register_summary("interruption", _summarize)
