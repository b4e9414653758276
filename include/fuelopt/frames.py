"""Reading and writing the command line's files: ``.csv`` or ``.parquet`` by extension, JSON
reports; every write is atomic (a temporary file renamed into place)."""

from __future__ import annotations

import glob
import json
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from fuelopt.errors import BadInput

SUFFIXES = (".csv", ".parquet")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInput(
            f"{path}: unsupported file type {suffix or '(none)'!r}; use .csv or .parquet"
        )
    return suffix


def read_frame(path: str | Path) -> pd.DataFrame:
    """A ``.csv`` or ``.parquet`` file as a DataFrame; ``BadInput`` naming the file otherwise."""
    path = Path(path)
    suffix = _suffix(path)
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


def read_json(path: str | Path) -> Any:
    """A JSON file's value; ``BadInput`` naming the file when it is missing, a folder, not
    text (UTF-8) or not JSON."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path}: file not found")
    if not path.is_file():
        raise BadInput(f"{path}: not a file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not a text (UTF-8) file") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: not valid JSON: {exc}") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _host() -> str:
    return socket.gethostname().replace(".", "_").replace("-", "_") or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` whose writer on this host is dead (killed with
    SIGKILL, or the machine went down); returns them. A live or other host's writer's file is
    left alone."""
    removed = []
    stem = f".{path.name}.{_host()}-"
    for tmp in path.parent.glob(glob.escape(stem) + "*.tmp"):
        pid = tmp.name[len(stem) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    source: str | Path,
    *,
    max_abs: float,
    min_value: float | None = None,
) -> pd.Series:
    """``frame[column]`` as floats (nulls stay null); ``BadInput`` naming the source, the row
    (1-based) and the field for the first value that is not a number, not finite, larger in
    magnitude than ``max_abs`` or below ``min_value``."""
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    present = values.notna()
    problems = [
        (frame[column].notna() & ~present, "not a number"),
        (present & ~(values.abs() <= max_abs), f"not a finite number within +-{max_abs:g}"),
    ]
    if min_value is not None:
        problems.append((present & (values < min_value), f"below {min_value:g}"))
    for bad, problem in problems:
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise BadInput(f"{source}: row {row + 1}, field {column}: {problem}")
    return values


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed to ``path`` on success, else removed,
    so that a reader never sees a half-written file. Temporary files a killed writer left for
    the same ``path`` are removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    # ``.<name>.<host>-<pid of the writer>.<random>.tmp``: remove_stale_temps reads them back
    fd, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{_host()}-{os.getpid()}.", suffix=".tmp"
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file, then rename it to ``path``."""
    with atomic_path(path) as tmp:
        write(tmp)


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as CSV or Parquet by the extension of ``path``."""
    if _suffix(Path(path)) == ".csv":
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_json(payload: dict[str, Any], path: str | Path) -> None:
    """Write ``payload`` as indented JSON (no NaN)."""
    text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    write_atomically(path, lambda tmp: tmp.write_text(text))
