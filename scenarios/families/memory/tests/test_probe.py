"""The probe's loops, in this process on the python baseline (no fresh process, no figure):
they validate, stop at their caps and say why."""

from __future__ import annotations

import pytest

import guest
from scenarios.families.memory import probe, workloads

ARTICLE = str(guest.get("article").path)
EXCHANGE = str(guest.get("exchange").path)


def test_slope_is_the_least_squares_fit() -> None:
    assert probe.slope([(1, 10), (2, 20), (4, 40)]) == pytest.approx(10)
    assert probe.slope([(1, 5)]) != probe.slope([(1, 5)])  # NaN: one point fits nothing


def test_rss_is_resident_bytes() -> None:
    assert probe.rss() > 1 << 20


def test_instances_records_every_count_and_the_linear_memory() -> None:
    out = probe.instances({"runtime": "python", "guest": ARTICLE, "counts": [1, 3],
                           "rss_cap": 1 << 30})
    assert [p[0] for p in out["points"]] == [0, 1, 3]
    assert out["linear_memory"] == 17 * probe.PAGE
    assert out["stopped"] == ""


def test_instances_stop_at_the_rss_cap() -> None:
    out = probe.instances({"runtime": "python", "guest": ARTICLE, "counts": [1, 2, 3],
                           "rss_cap": -1})
    assert [p[0] for p in out["points"]] == [0, 1]
    assert out["stopped"].startswith("stopped at 1 instances")
    # in a fresh process, as a run reads it: in this one, pages freed by earlier tests could
    # hold the new instances without RSS growing
    out = workloads.probe({"kind": "instances", "runtime": "python", "guest": ARTICLE,
                           "counts": [1, 10 * probe.CHECK_EVERY], "rss_cap": 5 << 20})
    assert out["points"][-1][0] < 10 * probe.CHECK_EVERY  # checked within a count, too
    assert out["points"][-1][0] % probe.CHECK_EVERY == 0


def test_loops_of_instances_stop_at_their_time_cap() -> None:
    out = probe.instances({"runtime": "python", "guest": ARTICLE, "counts": [1, 2, 3],
                           "rss_cap": 1 << 30, "seconds": -1})
    assert out["points"] == [(0, 0), (1, out["points"][1][1])]
    assert out["stopped"] == "stopped at 1 instances: -1 s of wall time"
    out = probe.drop({"runtime": "python", "guest": ARTICLE, "count": 5, "rss_cap": 1 << 30,
                      "seconds": -1})
    assert out["instances"] == 1 and "-1 s of wall time" in out["stopped"]


def test_a_forgetful_host_grows_linear_memory_until_the_cap() -> None:
    for path in ("allocate", "returned"):
        out = probe.leak({"runtime": "python", "guest": EXCHANGE, "path": path,
                          "size": probe.PAGE, "memory_cap": 4 << 20, "calls": 1000,
                          "seconds": 600, "every": 8})
        assert out["ending"].startswith("cap: linear memory reached"), out["ending"]
        assert out["value"] >= probe.PAGE / 2  # about a page per forgotten call
        assert out["curve"][0][0] == 0 and out["curve"][-1][0] == out["calls"]


def test_a_call_budget_ends_the_loop() -> None:
    out = probe.leak({"runtime": "python", "guest": EXCHANGE, "path": "allocate", "size": 16,
                      "memory_cap": 1 << 30, "calls": 16, "seconds": 600, "every": 8})
    assert out["ending"] == "cap: 16 calls"
    assert out["calls"] == 16


def test_the_time_cap_is_checked_on_every_call() -> None:
    """A slow runtime's call (pywasm copies 64 KiB for seconds) must not run ``every`` calls
    past the cap: a cap of 0 s stops after the first call, between two curve points."""
    out = probe.leak({"runtime": "python", "guest": EXCHANGE, "path": "returned", "size": 16,
                      "memory_cap": 1 << 30, "calls": 1000, "seconds": 0, "every": 64})
    assert (out["calls"], out["ending"]) == (1, "cap: 0 s of calls")
    assert out["curve"][-1][0] == 1


def test_drop_reports_live_and_after() -> None:
    out = probe.drop({"runtime": "python", "guest": ARTICLE, "count": 5, "rss_cap": 1 << 30})
    assert out["instances"] == 5
    assert out["value"] == out["after"]
