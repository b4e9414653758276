"""Physics of a haul cycle: speeds, engine power and litres of diesel per phase (vectorised).

A cycle (one row of ``haul_cycles``) runs from the end of the previous dump to the end of its own
dump, in nine phases: empty travel back to the shovel (flat, down the ramp, up the ramp), queue,
load, loaded travel (up the ramp, down the ramp, flat) and dump. ``rise_m`` is the climb of the
loaded haul (out of the pit), ``fall_m`` its descent; the empty return does the reverse. Ramps
have the grade ``ramp_grade``; the rest of each leg is flat.

Travel segment (mass m = empty + payload tonnes, signed grade G, rolling resistance RR that
depends on the road condition, g = 9.81 m/s²):

    F          = m · 1000 · g · (G + RR)                       resisting force, N
    P_wheel    = P_rated · (1 − a) · η                         power available at the wheels, W
    v          = min(v_max, P_wheel / F)          if F > 0      power-limited speed, m/s
               = min(v_max, v_down)               if F ≤ 0      retarder-limited downhill
    P_engine   = P_rated · a + F · v / η          if F > 0      engine output, kW
               = P_rated · a                      if F ≤ 0
    load factor LF = P_engine / P_rated (``engine_load_pct`` = 100 · LF)

Stationary phases burn P_engine = P_rated · f with f = idle (queue, idle), loading or dumping
fraction. Fuel:

    fuel rate (L/h) = SFC · P_engine · k_op · k_wear                SFC ≈ 0.24 L/kWh
    k_op   = 1 + ε_op,  ε_op ~ N(0, operator_sd) per operator (≈ ±10 % between operators)
    k_wear = 1 + wear_per_10k_h · engine_hours / 10,000
    fuel_l (cycle) = Σ_phases rate · duration · (1 + ε),  ε ~ N(0, cycle_fuel_sd)  (sensor noise)

So fuel grows with gross vehicle weight × (grade + rolling resistance) × speed, as in the
Carlson engine-based estimate (docs/domain.md). The operator effect and the sensor noise are not
visible in the cycle columns: together they are the irreducible error documented in truth.json.
Truck figures come from :mod:`fuelopt.synth.truck_models`.

This is the mine's *true* physics ("the world"), with its own constants (``synth.physics``). The
product's estimates (the optimiser's fallback and the cycle model's physics features) are the
simpler work formula of :mod:`fuelopt.haul_physics` with the ``physics`` section's constants.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fuelopt.haul_physics import G_M_S2 as G
from fuelopt.synth.settings import PhysicsSettings

PHASES = (
    "empty_flat",
    "empty_down",
    "empty_up",
    "queue",
    "load",
    "loaded_up",
    "loaded_down",
    "loaded_flat",
    "dump",
)
PHASE_STATUS = np.array(
    [
        "hauling",
        "hauling",
        "hauling",
        "queuing",
        "loading",
        "hauling",
        "hauling",
        "hauling",
        "dumping",
    ]
)
TRAVEL_PHASES = (0, 1, 2, 5, 6, 7)


class CyclePhases(NamedTuple):
    """Per cycle and phase (shape ``(..., 9)``): minutes, engine kW, speed, grade, payload."""

    minutes: np.ndarray
    engine_kw: np.ndarray
    speed_kmh: np.ndarray
    grade: np.ndarray
    payload_t: np.ndarray


def travel(
    mass_t: np.ndarray,
    dist_km: np.ndarray,
    grade: np.ndarray,
    rr: np.ndarray,
    v_max_kmh: float,
    rated_kw: np.ndarray,
    p: PhysicsSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speed (km/h), engine power (kW) and minutes of one travel segment (formulas above)."""
    force = mass_t * 1000.0 * G * (grade + rr)
    wheel_w = rated_kw * 1000.0 * (1.0 - p.accessory_load_frac) * p.drivetrain_efficiency
    climbing = force > 0
    v_ms = np.where(
        climbing,
        np.minimum(v_max_kmh / 3.6, wheel_w / np.where(climbing, force, 1.0)),
        min(v_max_kmh, p.max_speed_downhill_kmh) / 3.6,
    )
    engine_kw = rated_kw * p.accessory_load_frac + np.where(
        climbing, force * v_ms / p.drivetrain_efficiency / 1000.0, 0.0
    )
    speed_kmh = v_ms * 3.6
    minutes = np.asarray(dist_km) / speed_kmh * 60.0
    return speed_kmh, engine_kw, minutes


def cycle_phases(
    *,
    rated_kw: np.ndarray,
    empty_t: np.ndarray,
    payload_t: np.ndarray,
    loaded_km: np.ndarray,
    empty_km: np.ndarray,
    rise_m: np.ndarray,
    fall_m: np.ndarray,
    rr: np.ndarray,
    queue_min: np.ndarray,
    load_min: np.ndarray,
    dump_min: np.ndarray,
    p: PhysicsSettings,
) -> CyclePhases:
    """The nine phases of each cycle; every argument broadcasts to the cycles' shape."""
    arrays = np.broadcast_arrays(
        rated_kw, empty_t, payload_t, loaded_km, empty_km, rise_m, fall_m, rr, queue_min,
        load_min, dump_min,
    )  # fmt: skip
    rated_kw, empty_t, payload_t, loaded_km, empty_km, rise_m, fall_m, rr = arrays[:8]
    queue_min, load_min, dump_min = arrays[8:]
    ramp = p.ramp_grade
    up_l, down_l = rise_m / ramp / 1000.0, fall_m / ramp / 1000.0
    loaded_flat = np.clip(loaded_km - up_l - down_l, 0.0, None)
    empty_flat = np.clip(empty_km - up_l - down_l, 0.0, None)
    loaded_mass = empty_t + payload_t
    legs = [  # (mass, km, grade, v_max, payload)
        (empty_t, empty_flat, 0.0, p.max_speed_empty_kmh, 0.0),
        (empty_t, up_l, -ramp, p.max_speed_empty_kmh, 0.0),
        (empty_t, down_l, ramp, p.max_speed_empty_kmh, 0.0),
        None,
        None,
        (loaded_mass, up_l, ramp, p.max_speed_loaded_kmh, payload_t),
        (loaded_mass, down_l, -ramp, p.max_speed_loaded_kmh, payload_t),
        (loaded_mass, loaded_flat, 0.0, p.max_speed_loaded_kmh, payload_t),
        None,
    ]
    shape = (*rated_kw.shape, len(PHASES))
    minutes, kw, speed, grade, payload = (np.zeros(shape) for _ in range(5))
    for i, leg in enumerate(legs):
        if leg is None:
            continue
        mass, km, gr, vmax, pay = leg
        speed[..., i], kw[..., i], minutes[..., i] = travel(mass, km, gr, rr, vmax, rated_kw, p)
        grade[..., i] = gr
        payload[..., i] = pay
    minutes[..., 3], kw[..., 3] = queue_min, rated_kw * p.idle_load_frac
    minutes[..., 4], kw[..., 4] = load_min, rated_kw * p.loading_load_frac
    minutes[..., 8], kw[..., 8] = dump_min, rated_kw * p.dumping_load_frac
    payload[..., 8] = payload_t
    return CyclePhases(minutes, kw, speed, grade, payload)


def phase_litres(phases: CyclePhases, sfc: float, factor: np.ndarray) -> np.ndarray:
    """Litres burned in each phase: SFC · P_engine · hours · k_op · k_wear."""
    return sfc * phases.engine_kw * phases.minutes / 60.0 * np.asarray(factor)[..., None]
