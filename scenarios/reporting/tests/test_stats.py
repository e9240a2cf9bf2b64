"""The statistics on data whose answer is known (real pyperf objects, chosen values)."""

from __future__ import annotations

import numpy as np
import pyperf
import pytest

from scenarios.reporting import fmt, stats


def bench(processes: list[list[float]]) -> pyperf.Benchmark:
    runs = [pyperf.Run(values, warmups=[(1, values[0])], collect_metadata=False,
                       metadata={"name": "b", "unit": "second", "loops": 1})
            for values in processes]
    return pyperf.Benchmark(runs)


def noisy(center: float, n: int, per: int, seed: int) -> np.ndarray:
    return center * np.random.default_rng(seed).lognormal(0, 0.05, (n, per))


def test_describe_is_pyperfs_own() -> None:
    b = bench([[3e-6, 1e-6, 2e-6], [4e-6, 6e-6, 5e-6]])
    s = stats.describe(b)
    assert s.median_ns == b.median() * 1e9
    assert (s.q1_ns, s.q3_ns) == (b.percentile(25) * 1e9, b.percentile(75) * 1e9)
    assert s.min_ns == pytest.approx(1000) and (s.n_processes, s.n_values) == (2, 6)
    assert any("standard deviation" in w for w in s.warnings)  # 50 % spread: pyperf warns


def test_identical_runs_are_not_significantly_different() -> None:
    m = noisy(1e-6, 10, 3, seed=1)
    r = stats.ratio_ci(m, m.copy())
    assert r.value == 1.0 and r.low < 1 < r.high and not r.significant


def test_a_real_factor_is_found_with_an_interval_around_it() -> None:
    base, new = noisy(1e-6, 10, 3, seed=2), noisy(2e-6, 10, 3, seed=3)
    r = stats.ratio_ci(new, base)
    assert r.significant and r.low < 2 < r.high and 1.8 < r.value < 2.2
    inverse = stats.ratio_ci(base, new)
    assert inverse.significant and inverse.high < 1


def test_fewer_than_two_processes_give_no_interval() -> None:
    r = stats.ratio_ci(np.array([[2.0, 2.1]]), noisy(1.0, 5, 2, seed=4))
    assert r.value == pytest.approx(2.05 / np.median(noisy(1.0, 5, 2, seed=4)))
    assert not r.has_interval and not r.significant


def test_a_difference_of_medians_has_an_interval_around_it() -> None:
    base, new = noisy(1e-6, 10, 3, seed=7), noisy(3e-6, 10, 3, seed=8)
    low, high = stats.difference_ci(new, base)
    assert low < np.median(new) - np.median(base) < high and 1.7e-6 < low < high < 2.3e-6
    low, high = stats.difference_ci(new[:1], base)
    assert np.isnan(low) and np.isnan(high)


def test_processes_with_different_value_counts() -> None:
    b = bench([[1e-6, 1.1e-6, 0.9e-6], [1e-6], [1.2e-6, 1e-6]])
    m = stats.process_matrix(b)
    assert m.shape == (3, 3) and np.isnan(m).sum() == 3
    r = stats.ratio_ci(m * 3, m)
    assert r.value == pytest.approx(3) and r.has_interval


def test_payload_fit_recovers_fixed_and_per_byte_cost() -> None:
    sizes = np.repeat([16, 64, 256, 1024, 4096, 16384, 65536], 5)
    truth = 2000 + 0.25 * sizes
    ns = truth * np.random.default_rng(5).lognormal(0, 0.02, len(sizes))
    fit = stats.fit_payload(sizes, ns)
    assert fit is not None and fit.sizes == 7
    assert fit.fixed_ns == pytest.approx(2000, rel=0.05)
    assert fit.per_byte_ns == pytest.approx(0.25, rel=0.05)
    assert fit.per_byte_resolved and fit.mb_per_s == pytest.approx(4000, rel=0.05)

    flat = stats.fit_payload(sizes, 5000 * np.random.default_rng(6).lognormal(0, 0.02,
                                                                              len(sizes)))
    assert flat is not None and not flat.per_byte_resolved
    assert stats.fit_payload(np.array([64, 64]), np.array([1.0, 2.0])) is None


def test_geomean() -> None:
    assert stats.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert np.isnan(stats.geomean([]))


@pytest.mark.parametrize(("ns", "text"), [
    (0.5, "0.500 ns"), (12.345, "12.3 ns"), (999.6, "1.00 µs"), (1234, "1.23 µs"),
    (999_600, "1.00 ms"), (12_345_678, "12.3 ms"), (3e9, "3.00 s"), (float("nan"), "—"),
    (1.55e-14, "0 ns"), (-2e-9, "0 ns"), (0.0012, "0.00120 ns")])  # a fit's zero: no decimals
def test_durations_are_written_with_three_digits_and_a_unit(ns: float, text: str) -> None:
    assert fmt.ns(ns) == text


def test_other_formats() -> None:
    assert fmt.ns(5000, compact=True) == "5 µs"
    assert [fmt.nbytes(n) for n in (16, 1024, 40_000, 1 << 20)] == [
        "16 B", "1 KiB", "40,000 B", "1 MiB"]
    assert (fmt.ratio(1.234), fmt.interval(0.95, 1.1)) == ("×1.23", "[0.950, 1.10]")
    assert (fmt.number(12345.6), fmt.number(2e-5)) == ("12,300", "2.00e-05")


@pytest.mark.parametrize(("value", "unit", "text"), [
    (812, "byte", "812 B"), (14540, "byte", "14.2 KiB"), (1.2e6, "byte", "1.14 MiB"),
    (3 << 30, "byte", "3.00 GiB"), (2.5e-6, "second", "2.50 µs"), (1234, "integer", "1,230")])
def test_a_value_is_written_in_its_unit(value: float, unit: str, text: str) -> None:
    assert fmt.quantity(value, unit) == text
