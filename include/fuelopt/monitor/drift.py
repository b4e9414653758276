"""Per-column drift between a reference window and a current window (docs/contracts.md §5).

Numeric columns: PSI over the reference's quantile bins (plus one bin below the reference minimum
and one above its maximum, so a shift outside the reference range is seen) and the two-sample KS
test. Categorical columns: PSI over category frequencies and the chi-square test of the 2 x k
contingency table (``ks_stat`` is null). P-values are corrected across the columns of one check
(Holm by default). A column drifts when its corrected p-value is below ``alpha`` *and* its PSI
reaches its threshold: significance alone flags trivial shifts on large windows, PSI alone flags
noise on small ones. Severity is ``high`` from ``psi_alert``, else ``warning``.

The PSI threshold is ``psi_warn``, raised by an empirical null when the reference carries a time
column: mine data are clustered (a six-hour window holds a few routes, shifts and road states, not
independent cycles), so the reference is cut, in time order, into consecutive blocks as large as
the current window and a column's threshold becomes at least ``null_margin`` times the
``null_quantile`` of those blocks' own PSI against the reference: the current window must differ
more than the reference's ordinary windows do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from fuelopt.monitor.settings import DriftSettings

SEVERITY_ORDER = ("none", "info", "warning", "high", "critical")


def worst(severities: Sequence[str]) -> str:
    """The most severe of ``severities`` ('none' when empty)."""
    return max(severities, key=SEVERITY_ORDER.index, default="none")


def _settings(settings: DriftSettings | None) -> DriftSettings:
    if settings is not None:
        return settings
    from fuelopt.config import get_settings

    return get_settings().monitor.drift


def _finite(value: float | None) -> float | None:
    """JSON-safe float: None for missing, NaN or infinite values."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _as_numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dropna().astype("int64").astype(float) / 1e9
    return pd.to_numeric(series, errors="coerce").dropna().astype(float)


def psi_from_shares(ref: np.ndarray, cur: np.ndarray, epsilon: float) -> float:
    """Population stability index of two vectors of shares over the same bins."""
    ref = np.maximum(np.asarray(ref, dtype=float), epsilon)
    cur = np.maximum(np.asarray(cur, dtype=float), epsilon)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def numeric_bins(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner cut points: the reference's unique quantiles (1/bins ... (bins-1)/bins)."""
    quantiles = np.quantile(reference, np.arange(1, bins) / bins)
    return np.unique(np.concatenate([[reference.min()], quantiles]))


def _bin_shares(values: np.ndarray, cuts: np.ndarray, low: float, high: float) -> np.ndarray:
    """Shares of ``values`` in: below ``low``, each [cut, next cut), and above ``high``."""
    index = np.searchsorted(cuts, values, side="right")  # 0 only when below the first cut
    index = np.where(values > high, len(cuts) + 1, index)
    index = np.where(values < low, 0, index)
    counts = np.bincount(index, minlength=len(cuts) + 2)
    return counts / max(len(values), 1)


def psi_numeric(reference: np.ndarray, current: np.ndarray, bins: int, epsilon: float) -> float:
    cuts = numeric_bins(reference, bins)
    low, high = float(reference.min()), float(reference.max())
    return psi_from_shares(
        _bin_shares(reference, cuts, low, high), _bin_shares(current, cuts, low, high), epsilon
    )


def adjust_p_values(p_values: dict[str, float], method: str) -> dict[str, float]:
    """Family-wise corrected p-values (Holm step-down, Bonferroni, or none)."""
    names = list(p_values)
    m = len(names)
    if method == "none" or m == 0:
        return dict(p_values)
    if method == "bonferroni":
        return {n: min(1.0, p_values[n] * m) for n in names}
    ordered = sorted(names, key=lambda n: p_values[n])
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, name in enumerate(ordered):
        running = max(running, min(1.0, (m - rank) * p_values[name]))
        adjusted[name] = running
    return adjusted


def _base(kind: str, ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    n_ref, n_cur = len(ref), len(cur)
    return {
        "psi": None,
        "ks_stat": None,
        "p_value": None,
        "drift": False,
        "severity": "none",
        "kind": kind,
        "status": "ok",
        "n_reference": int(ref.notna().sum()),
        "n_current": int(cur.notna().sum()),
        "null_rate_reference": _finite(ref.isna().mean()) if n_ref else None,
        "null_rate_current": _finite(cur.isna().mean()) if n_cur else None,
    }


def _empty_status(ref: pd.Series, cur: pd.Series) -> str | None:
    if len(ref) == 0:
        return "empty_reference"
    if len(cur) == 0:
        return "empty_current"
    if ref.notna().sum() == 0 and cur.notna().sum() == 0:
        return "all_null"
    if ref.notna().sum() == 0:
        return "all_null_reference"
    if cur.notna().sum() == 0:
        return "all_null_current"
    return None


def _numeric_column(ref: pd.Series, cur: pd.Series, cfg: DriftSettings) -> dict[str, Any]:
    out = _base("numeric", ref, cur)
    status = _empty_status(ref, cur)
    if status:
        out["status"] = status
        return out
    r, c = _as_numeric(ref).to_numpy(), _as_numeric(cur).to_numpy()
    out["psi"] = _finite(psi_numeric(r, c, cfg.psi_bins, cfg.psi_epsilon))
    if np.ptp(r) == 0 and np.ptp(c) == 0 and r[0] == c[0]:
        out.update(ks_stat=0.0, p_value=1.0, note="constant in both windows")
    else:
        result = stats.ks_2samp(r, c)
        out.update(ks_stat=_finite(result.statistic), p_value=_finite(result.pvalue))
        if np.ptp(r) == 0:
            out["note"] = "constant in the reference window"
    return out


def _categorical_column(ref: pd.Series, cur: pd.Series, cfg: DriftSettings) -> dict[str, Any]:
    out = _base("categorical", ref, cur)
    status = _empty_status(ref, cur)
    if status:
        out["status"] = status
        return out
    r = ref.dropna().astype(str).value_counts()
    c = cur.dropna().astype(str).value_counts()
    categories = sorted(set(r.index) | set(c.index))
    r, c = r.reindex(categories, fill_value=0), c.reindex(categories, fill_value=0)
    out["psi"] = _finite(
        psi_from_shares((r / r.sum()).to_numpy(), (c / c.sum()).to_numpy(), cfg.psi_epsilon)
    )
    out["new_categories"] = [k for k in categories if r[k] == 0]
    out["missing_categories"] = [k for k in categories if c[k] == 0]
    if len(categories) < 2:
        out.update(chi2_stat=0.0, p_value=1.0, note="a single category in both windows")
    else:
        chi2, p, _, _ = stats.chi2_contingency(np.vstack([r.to_numpy(), c.to_numpy()]))
        out.update(chi2_stat=_finite(chi2), p_value=_finite(p))
    return out


def _null_psis(ref: pd.Series, block_index: np.ndarray, n_blocks: int, kind: str, cfg) -> list:
    """PSI of each consecutive reference block against the whole reference."""
    values = ref.to_numpy()
    out = []
    if kind == "numeric":
        r = _as_numeric(ref).to_numpy()
        if len(r) == 0:
            return out
        cuts, low, high = numeric_bins(r, cfg.psi_bins), float(r.min()), float(r.max())
        shares = _bin_shares(r, cuts, low, high)
        numeric = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        for b in range(n_blocks):
            block = numeric[block_index == b]
            block = block[~np.isnan(block)]
            if len(block) >= cfg.min_rows:
                out.append(
                    psi_from_shares(shares, _bin_shares(block, cuts, low, high), cfg.psi_epsilon)
                )
        return out
    text = ref.astype("string")
    counts = text.value_counts()
    shares = (counts / counts.sum()).to_numpy()
    for b in range(n_blocks):
        block = text[block_index == b].dropna().value_counts().reindex(counts.index, fill_value=0)
        if block.sum() >= cfg.min_rows:
            out.append(psi_from_shares(shares, (block / block.sum()).to_numpy(), cfg.psi_epsilon))
    return out


def null_thresholds(
    reference: pd.DataFrame,
    n_current: int,
    results: dict[str, dict[str, Any]],
    time_column: str | None,
    cfg: DriftSettings,
) -> dict[str, dict[str, Any]]:
    """Per column: the empirical-null PSI threshold from reference blocks of ``n_current`` rows."""
    if not time_column or time_column not in reference.columns or n_current < cfg.min_rows:
        return {}
    n_blocks = len(reference) // n_current
    if n_blocks < cfg.null_min_blocks:
        return {}
    ordered = reference.sort_values(time_column, kind="stable").reset_index(drop=True)
    block_index = np.minimum(np.arange(len(ordered)) // n_current, n_blocks - 1)
    out = {}
    for col, res in results.items():
        if res["status"] != "ok":
            continue
        psis = _null_psis(ordered[col], block_index, n_blocks, res["kind"], cfg)
        if len(psis) < cfg.null_min_blocks:
            continue
        null = float(np.quantile(psis, cfg.null_quantile))
        out[col] = {
            "psi_threshold": max(cfg.psi_warn, cfg.null_margin * null),
            "null_psi_quantile": null,
            "null_blocks": len(psis),
        }
    return out


def default_columns(
    reference: pd.DataFrame, current: pd.DataFrame, cfg: DriftSettings
) -> list[str]:
    """Columns compared when none are named: shared, not excluded, not timestamps."""
    shared = [c for c in reference.columns if c in current.columns]
    return [
        c
        for c in shared
        if c not in cfg.exclude_columns
        and not pd.api.types.is_datetime64_any_dtype(reference[c])
        and not pd.api.types.is_datetime64_any_dtype(current[c])
    ]


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str] | None = None,
    settings: DriftSettings | None = None,
    time_column: str | None = None,
) -> dict[str, Any]:
    """The drift report of docs/contracts.md §5 (plus details) for ``columns`` (default: shared)

    Named columns must exist in both frames (``KeyError`` naming the frame otherwise). With a
    ``time_column`` in the reference, PSI thresholds are calibrated on its own blocks (see above).
    """
    cfg = _settings(settings)
    explicit = columns is not None
    if explicit:
        for col in columns:
            for label, frame in (("reference", reference), ("current", current)):
                if col not in frame.columns:
                    raise KeyError(f"column {col!r} is not in the {label} window")
        names = list(dict.fromkeys(columns))
    else:
        names = default_columns(reference, current, cfg)

    results: dict[str, dict[str, Any]] = {}
    for col in names:
        ref, cur = reference[col], current[col]
        # an empty or all-null side (e.g. a header-only CSV) takes the other side's kind
        numeric = (is_numeric(ref) or ref.notna().sum() == 0) and (
            is_numeric(cur) or cur.notna().sum() == 0
        )
        numeric = numeric and (is_numeric(ref) or is_numeric(cur))
        if explicit and not numeric:
            numeric = pd.api.types.is_datetime64_any_dtype(ref)
        if numeric:
            results[col] = _numeric_column(ref, cur, cfg)
            continue
        distinct = pd.concat([ref.dropna().astype(str), cur.dropna().astype(str)]).nunique()
        if not explicit and distinct > cfg.max_categories:
            out = _base("categorical", ref, cur)
            out.update(status="skipped_high_cardinality", distinct_values=int(distinct))
            results[col] = out
            continue
        results[col] = _categorical_column(ref, cur, cfg)

    tested = {c: r["p_value"] for c, r in results.items() if r["p_value"] is not None}
    adjusted = adjust_p_values(tested, cfg.correction)
    calibrated = null_thresholds(reference, len(current), results, time_column, cfg)
    warnings: list[str] = []
    for col, res in results.items():
        res["p_value_adjusted"] = _finite(adjusted.get(col))
        res["psi_threshold"] = cfg.psi_warn
        res.update(calibrated.get(col, {}))
        if res["status"] != "ok":
            if not res["status"].startswith(("skipped", "empty")):
                warnings.append(f"{col}: {res['status'].replace('_', ' ')}")
            continue
        if min(res["n_reference"], res["n_current"]) < cfg.min_rows:
            res["status"] = "too_few_rows"
            warnings.append(f"{col}: fewer than {cfg.min_rows} values in a window")
            continue
        significant = res["p_value_adjusted"] is not None and res["p_value_adjusted"] < cfg.alpha
        psi = res["psi"] if res["psi"] is not None else math.inf
        if significant and psi >= res["psi_threshold"]:
            res["drift"] = True
            res["severity"] = "high" if psi >= cfg.psi_alert else "warning"

    drifted = [c for c, r in results.items() if r["drift"]]
    if len(current) == 0:
        warnings.insert(0, "current window has no rows")
    if len(reference) == 0:
        warnings.insert(0, "reference window has no rows")
    return {
        "columns": results,
        "drifted": drifted,
        "severity": worst([results[c]["severity"] for c in drifted]),
        "n_reference": len(reference),
        "n_current": len(current),
        "correction": cfg.correction,
        "alpha": cfg.alpha,
        "calibrated": bool(calibrated),
        "warnings": warnings,
    }
