"""Make a report into a file, and the DAG steps that write them under the artifacts folder."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from fuelopt.config import get_settings
from fuelopt.errors import BadInput

FORMATS = ("pdf", "xlsx")


def check_out(fmt: str, out: str | Path) -> Path:
    """The output path, which must end in ``.<fmt>`` (checked before any work)."""
    if fmt not in FORMATS:
        raise BadInput(f"--format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    path = Path(out)
    if path.suffix.lower() != f".{fmt}":
        raise BadInput(f"--out: {out}: extension must be .{fmt} for --format {fmt}")
    return path


def _connect():
    from fuelopt.warehouse.db import connect

    timeout = get_settings().reports.query_timeout_seconds
    return connect(
        connect_timeout=max(1, int(timeout)), options=f"-c statement_timeout={int(timeout * 1000)}"
    )


def make_shift_report(day: date, shift: str, outputs: dict[str, Path]) -> list[Path]:
    """Read the shift's plan once and write it to each ``{format: path}``; the files written."""
    from fuelopt.reports.data import shift_report
    from fuelopt.reports.pdf import write_shift_pdf
    from fuelopt.reports.xlsx import write_shift_xlsx

    with _connect() as conn:
        report = shift_report(conn, get_settings(), day, shift)
    writers = {"pdf": write_shift_pdf, "xlsx": write_shift_xlsx}
    return [writers[fmt](report, path) for fmt, path in outputs.items()]


def make_weekly_report(week: str, outputs: dict[str, Path]) -> list[Path]:
    """Read the week's figures once and write them to each ``{format: path}``; the files written."""
    from fuelopt.reports.data import weekly_report
    from fuelopt.reports.pdf import write_weekly_pdf
    from fuelopt.reports.xlsx import write_weekly_xlsx

    with _connect() as conn:
        report = weekly_report(conn, get_settings(), week)
    writers = {"pdf": write_weekly_pdf, "xlsx": write_weekly_xlsx}
    return [writers[fmt](report, path) for fmt, path in outputs.items()]


def shift_reports_dir() -> Path:
    """``{paths.artifacts_dir}/{reports.shift_subdir}``."""
    settings = get_settings()
    return settings.paths.artifact(settings.reports.shift_subdir)


def weekly_reports_dir() -> Path:
    """``{paths.artifacts_dir}/{reports.weekly_subdir}``."""
    settings = get_settings()
    return settings.paths.artifact(settings.reports.weekly_subdir)


def write_shift_reports(shift_date: str, shift: str) -> list[str]:
    """optimize_fleet: both formats of a published shift's report; their paths."""
    from fuelopt.reports.data import parse_date

    day = parse_date(shift_date, "shift_date")
    folder = shift_reports_dir()
    outputs = {fmt: folder / f"{shift_date}_{shift}.{fmt}" for fmt in FORMATS}
    return [str(p) for p in make_shift_report(day, shift, outputs)]


def report_week(data_end: datetime) -> str:
    """The ISO week a weekly run reports: the one of (data end - reports.weekly_data_lag_hours)."""
    from fuelopt.reports.data import week_of

    lag = timedelta(hours=get_settings().reports.weekly_data_lag_hours)
    return week_of((data_end - lag).date())


def write_weekly_reports(week: str) -> list[str]:
    """report_weekly: both formats of the week's report; their paths."""
    outputs = {fmt: weekly_reports_dir() / f"{week}.{fmt}" for fmt in FORMATS}
    return [str(p) for p in make_weekly_report(week, outputs)]
