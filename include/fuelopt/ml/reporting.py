"""Training reports logged with each model: model card, feature importance and residual plots."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuelopt.config import PROJECT_ROOT

MODEL_CARD_TEMPLATE = PROJECT_ROOT / "docs" / "MODEL_CARD.md"


def markdown_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def model_card(fields: dict[str, Any], metrics: pd.DataFrame) -> str:
    """The model card: docs/MODEL_CARD.md with its placeholders filled."""
    values = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
        "metrics": markdown_table(metrics),
    }
    template = MODEL_CARD_TEMPLATE.read_text() if MODEL_CARD_TEMPLATE.is_file() else None
    if template is None:  # installed without the docs folder: same sections, plain layout
        return "\n\n".join(f"## {k}\n\n{v}" for k, v in values.items())
    return template.format(**{k: str(v) for k, v in values.items()})


def importance_plot(booster, path: Path, top: int = 20) -> Path:
    """Bar chart of XGBoost gain importance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    score = booster.get_score(importance_type="gain")
    items = sorted(score.items(), key=lambda kv: kv[1])[-top:]
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.3 * len(items))))
    ax.barh([k for k, _ in items], [v for _, v in items])
    ax.set_xlabel("gain")
    ax.set_title("Feature importance")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def residual_plot(actual: np.ndarray, pred: np.ndarray, path: Path, title: str) -> Path:
    """Out-of-fold residuals against predictions (a sample of at most 5,000 points)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = np.isfinite(actual) & np.isfinite(pred)
    idx = np.flatnonzero(ok)
    if len(idx) > 5000:
        idx = np.random.default_rng(0).choice(idx, 5000, replace=False)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(pred[idx], actual[idx] - pred[idx], s=3, alpha=0.4)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual − predicted")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
