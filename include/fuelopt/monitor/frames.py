"""Reading the CLI's input frames (``.csv`` or ``.parquet``, by extension) and writing reports."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from fuelopt.errors import BadInput

SUFFIXES = (".csv", ".parquet")


def read_frame(path: str | Path) -> pd.DataFrame:
    """A ``.csv`` or ``.parquet`` file as a DataFrame; ``BadInput`` naming the file otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInput(
            f"{path}: unsupported file type {suffix or '(none)'!r}; use .csv or .parquet"
        )
    if not path.is_file():
        raise BadInput(f"{path}: file not found")
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except Exception as exc:
        raise BadInput(f"{path}: cannot be read as {suffix[1:]}: {exc}") from None


def write_json(payload: dict[str, Any], path: str | Path) -> None:
    """Write ``payload`` as JSON atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2, allow_nan=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
