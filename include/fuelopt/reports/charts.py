"""The reports' charts as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import io

import pandas as pd

from fuelopt.reports.data import ShiftReport, WeeklyReport


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    _pyplot().close(fig)
    return buf.getvalue()


def shift_chart(report: ShiftReport) -> bytes:
    """Predicted litres per truck (coloured by shovel) and the plan against the greedy total."""
    plt = _pyplot()
    from matplotlib.patches import Patch

    trucks = report.trucks.groupby(["truck_id", "shovel_id"], as_index=False)[
        "predicted_fuel_l"
    ].sum()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), width_ratios=[3, 1])
    shovels = sorted(trucks["shovel_id"].unique())
    colours = {s: plt.get_cmap("tab10")(i % 10) for i, s in enumerate(shovels)}
    left.bar(
        trucks["truck_id"],
        trucks["predicted_fuel_l"],
        color=[colours[s] for s in trucks["shovel_id"]],
    )
    handles = [Patch(color=colours[s], label=s) for s in shovels]
    left.legend(handles=handles, title="shovel", fontsize=7)
    left.set_ylabel("predicted litres")
    left.set_title(f"Plan per truck, {report.summary['shift']}")
    left.tick_params(axis="x", labelrotation=60, labelsize=7)
    greedy = report.summary["greedy_fuel_l"]
    right.bar(
        ["MILP plan", "greedy"],
        [report.summary["predicted_fuel_l"], greedy or 0.0],
        color=["tab:green", "tab:grey"],
    )
    right.set_title("Shift total (L)")
    return _png(fig)


def trend_chart(report: WeeklyReport) -> bytes:
    """Litres per tonne by ISO week: dispensed diesel and litres burned hauling."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    trend = report.trend
    ax.plot(trend["week"], trend["litres_per_t"], marker="o", label="dispensed L / t")
    ax.plot(trend["week"], trend["haul_litres_per_t"], marker="s", label="haul cycles L / t")
    ax.set_ylabel("litres per tonne")
    ax.set_title(f"Litres per tonne, weeks to {report.week}")
    ax.legend(fontsize=8)
    return _png(fig)


def forecast_chart(report: WeeklyReport) -> bytes:
    """Shortest-horizon forecast of each day with its 80 % and 95 % intervals, and the actual."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    frame = report.forecasts
    if frame.empty:
        ax.text(0.5, 0.5, "no forecasts for this week", ha="center", va="center")
        ax.set_axis_off()
        return _png(fig)
    shortest = frame[frame["horizon_days"] == frame["horizon_days"].min()]
    days = pd.to_datetime(shortest["target_date"])
    ax.fill_between(days, shortest["lo95"], shortest["hi95"], alpha=0.2, label="95 %")
    ax.fill_between(days, shortest["lo80"], shortest["hi80"], alpha=0.35, label="80 %")
    ax.plot(days, shortest["pred"], marker="o", label="forecast")
    ax.plot(days, shortest["actual_fuel_l"], marker="x", linestyle="none", label="actual")
    ax.set_ylabel("site litres per day")
    ax.set_title(f"Forecast ({int(shortest['horizon_days'].iloc[0])}-day horizon) vs actual")
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.legend(fontsize=8)
    return _png(fig)
