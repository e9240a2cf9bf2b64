"""Statistics of a run: pyperf's own summary per benchmark, scipy for everything else.

* ``describe``: median, IQR, min, processes, values and pyperf's stability warnings of one
  ``pyperf.Benchmark`` (pyperf computes them; this only converts to nanoseconds).
* ``ratio_ci``: the ratio of two medians with a 95 % bootstrap interval (``scipy.stats.
  bootstrap``) that resamples *processes*, pyperf's unit of independence: values from one
  process share its memory layout, so resampling them alone would understate the spread.
* ``median_ci`` / ``slope_ci``: the same process bootstrap for one median, and for the slope
  of medians against a size (a per-MB or per-KiB cost).
* ``geomean``: the summary of ratios across benchmarks (``scipy.stats.gmean``).
* ``fit_payload``: t = a + b * bytes (``scipy.optimize.curve_fit``), weighted by relative error
  so small payloads count as much as large ones; a is the fixed per-call cost, b the per-byte
  cost.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyperf
from pyperf import _cli as pyperf_cli  # format_checks: pyperf's own stability warnings
from scipy import optimize, stats

from scenarios.reporting.load import NS

CONFIDENCE = 0.95
RESAMPLES = 4000
SEED = 20240601  # fixed, so a report of the same run always prints the same intervals
MIN_PROCESSES = 2  # fewer than this on either side: no interval, never "significant"


@dataclass(frozen=True)
class Summary:
    median_ns: float
    q1_ns: float
    q3_ns: float
    min_ns: float
    n_processes: int
    n_values: int
    warnings: tuple[str, ...]

    @property
    def iqr_ns(self) -> float:
        return self.q3_ns - self.q1_ns


def stability_warnings(bench: pyperf.Benchmark) -> tuple[str, ...]:
    """The bullet points of pyperf's "the benchmark result may be unstable" warning."""
    return tuple(line[2:] for line in pyperf_cli.format_checks(bench) if line.startswith("* "))


def describe(bench: pyperf.Benchmark) -> Summary:
    values = bench.get_values()
    return Summary(
        median_ns=bench.median() * NS,
        q1_ns=bench.percentile(25) * NS,
        q3_ns=bench.percentile(75) * NS,
        min_ns=min(values) * NS,
        n_processes=sum(1 for run in bench.get_runs() if run.values),
        n_values=len(values),
        warnings=stability_warnings(bench))


def process_matrix(bench: pyperf.Benchmark) -> np.ndarray:
    """Values as an array (process x value), NaN-padded if processes have different counts."""
    rows = [run.values for run in bench.get_runs() if run.values]
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        out[i, :len(row)] = row
    return out


@dataclass(frozen=True)
class Ratio:
    """``value`` = median(new) / median(base); ``low``..``high`` its interval (NaN if none)."""

    value: float
    low: float
    high: float

    @property
    def has_interval(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))

    @property
    def significant(self) -> bool:
        """The interval excludes 1 (no interval: never significant)."""
        return self.has_interval and (self.low > 1 or self.high < 1)


def _pooled_median(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Median of all values of the processes ``rows`` (shape (..., n)) of ``matrix``."""
    picked = matrix[rows]  # (..., n, values)
    flat = picked.reshape(*picked.shape[:-2], -1)
    return np.nanmedian(flat, axis=-1) if np.isnan(matrix).any() else np.median(flat, axis=-1)


def _pooled_mean(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean of all values of the processes ``rows`` (shape (..., n)) of ``matrix``."""
    picked = matrix[rows]
    return np.nanmean(picked.reshape(*picked.shape[:-2], -1), axis=-1)


def mean_ratio_ci(new: np.ndarray, base: np.ndarray, confidence: float = CONFIDENCE) -> Ratio:
    """Ratio of means of two process matrices (for costs that add up, like an overhead), with
    the same bootstrap interval over processes as ``ratio_ci``."""
    value = float(np.nanmean(new) / np.nanmean(base))
    return Ratio(value, *_process_bootstrap(new, base, np.divide, confidence, _pooled_mean))


def ratio_ci(new: np.ndarray, base: np.ndarray, confidence: float = CONFIDENCE) -> Ratio:
    """Ratio of medians of two process matrices, with a bootstrap interval over processes."""
    value = float(np.nanmedian(new) / np.nanmedian(base))
    return Ratio(value, *_process_bootstrap(new, base, np.divide, confidence))


def difference_ci(new: np.ndarray, base: np.ndarray, confidence: float = CONFIDENCE
                  ) -> tuple[float, float]:
    """Interval of median(new) - median(base), by the same process bootstrap as ``ratio_ci``
    (NaN, NaN with fewer than ``MIN_PROCESSES`` on a side)."""
    return _process_bootstrap(new, base, np.subtract, confidence)


def _process_bootstrap(new: np.ndarray, base: np.ndarray, combine: np.ufunc,
                       confidence: float, center: Any = _pooled_median) -> tuple[float, float]:
    """Percentile interval of combine(center of new, center of base) (pooled medians unless
    told), resampling the worker processes of each side independently."""
    if min(len(new), len(base)) < MIN_PROCESSES:
        return math.nan, math.nan

    def statistic(i: np.ndarray, j: np.ndarray, axis: int = -1) -> np.ndarray:
        return combine(center(new, i), center(base, j))

    return _bootstrap((np.arange(len(new)), np.arange(len(base))), statistic, confidence)


def median_ci(matrix: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile interval of one benchmark's pooled median, resampling its worker processes
    (NaN, NaN with fewer than ``MIN_PROCESSES``)."""
    if len(matrix) < MIN_PROCESSES:
        return math.nan, math.nan

    def statistic(i: np.ndarray, axis: int = -1) -> np.ndarray:
        return _pooled_median(matrix, i)

    return _bootstrap((np.arange(len(matrix)),), statistic, confidence)


def slope_ci(x: np.ndarray, matrices: list[np.ndarray], confidence: float = CONFIDENCE
             ) -> tuple[float, float]:
    """Percentile interval of the least-squares slope of pooled medians against ``x`` (one
    process matrix per x), resampling each point's processes independently; NaN, NaN with
    fewer than two points or fewer than ``MIN_PROCESSES`` at any of them."""
    x = np.asarray(x, float)
    if len(np.unique(x)) < 2 or min(len(m) for m in matrices) < MIN_PROCESSES:
        return math.nan, math.nan
    dx = x - x.mean()

    def statistic(*rows: np.ndarray, axis: int = -1) -> np.ndarray:
        y = np.stack([_pooled_median(m, r) for m, r in zip(matrices, rows, strict=True)], -1)
        return ((y - y.mean(axis=-1, keepdims=True)) * dx).sum(axis=-1) / (dx ** 2).sum()

    return _bootstrap(tuple(np.arange(len(m)) for m in matrices), statistic, confidence)


def _bootstrap(samples: tuple[np.ndarray, ...], statistic: Any, confidence: float
               ) -> tuple[float, float]:
    with warnings.catch_warnings():  # a degenerate resample distribution warns; the CI says it
        warnings.simplefilter("ignore")
        res = stats.bootstrap(samples, statistic, n_resamples=RESAMPLES, vectorized=True,
                              paired=False, confidence_level=confidence, method="percentile",
                              rng=np.random.default_rng(SEED))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def geomean(ratios: list[float]) -> float:
    clean = [r for r in ratios if r > 0 and math.isfinite(r)]
    return float(stats.gmean(clean)) if clean else math.nan


@dataclass(frozen=True)
class PayloadFit:
    """t = fixed_ns + per_byte_ns * bytes, with standard errors, over ``sizes`` payloads."""

    fixed_ns: float
    fixed_se: float
    per_byte_ns: float
    per_byte_se: float
    sizes: int

    @property
    def per_byte_resolved(self) -> bool:
        """b is at least two standard errors above 0: the payload measurably costs time."""
        return self.per_byte_ns > 2 * self.per_byte_se

    @property
    def mb_per_s(self) -> float:
        """Throughput of the per-byte part alone, in 10^6 bytes per second."""
        return 1e3 / self.per_byte_ns if self.per_byte_ns > 0 else math.inf

    def predict(self, nbytes: np.ndarray) -> np.ndarray:
        return self.fixed_ns + self.per_byte_ns * nbytes


def fit_payload(nbytes: np.ndarray, ns: np.ndarray) -> PayloadFit | None:
    """Fit per-process medians against payload size; None with fewer than 2 sizes."""
    nbytes, ns = np.asarray(nbytes, float), np.asarray(ns, float)
    sizes = len(np.unique(nbytes))
    if sizes < 2:
        return None
    small = ns[nbytes == nbytes.min()]
    p0 = (float(np.median(small)), max(float(np.median(ns) / max(np.median(nbytes), 1)), 1e-6))
    try:
        (a, b), cov = optimize.curve_fit(lambda x, a, b: a + b * x, nbytes, ns, p0=p0,
                                         sigma=ns, bounds=([0, 0], [np.inf, np.inf]))
    except (RuntimeError, ValueError):
        return None
    se = np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else (math.nan, math.nan)
    return PayloadFit(float(a), float(se[0]), float(b), float(se[1]), sizes)
