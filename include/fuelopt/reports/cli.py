"""Subcommands of this area (registered by fuelopt.cli): ``report shift`` and ``report weekly``."""

from __future__ import annotations

import argparse


def _shift(args: argparse.Namespace) -> int:
    from fuelopt.reports.data import parse_date
    from fuelopt.reports.jobs import check_out, make_shift_report

    out = check_out(args.format, args.out)
    day = parse_date(args.date)
    (path,) = make_shift_report(day, args.shift, {args.format: out})
    print(path)
    return 0


def _weekly(args: argparse.Namespace) -> int:
    from fuelopt.reports.data import parse_week
    from fuelopt.reports.jobs import check_out, make_weekly_report

    out = check_out(args.format, args.out)
    parse_week(args.week)
    (path,) = make_weekly_report(args.week, {args.format: out})
    print(path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` and its two subcommands to the ``fuelopt`` parser."""
    report = sub.add_parser("report", help="shift or weekly report (PDF or Excel) from the marts")
    kinds = report.add_subparsers(dest="report", required=True, metavar="KIND")
    shift = kinds.add_parser("shift", help="one shift's published fleet plan, cost, CO2, levers")
    shift.add_argument("--date", required=True, help="shift date, YYYY-MM-DD")
    shift.add_argument("--shift", required=True, choices=("day", "night"))
    shift.add_argument("--format", required=True, choices=("pdf", "xlsx"))
    shift.add_argument("--out", required=True, help="file to write (.pdf or .xlsx)")
    shift.set_defaults(handler=_shift)
    weekly = kinds.add_parser(
        "weekly", help="an ISO week: litres per tonne, forecasts, savings, drift, data quality"
    )
    weekly.add_argument("--week", required=True, help="ISO week, YYYY-Www (e.g. 2026-W09)")
    weekly.add_argument("--format", required=True, choices=("pdf", "xlsx"))
    weekly.add_argument("--out", required=True, help="file to write (.pdf or .xlsx)")
    weekly.set_defaults(handler=_weekly)
