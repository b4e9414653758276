-- The champion cycle model's litres for each good haul cycle (fuelopt.ml.scoring, task
-- score_cycles of monitor_drift), read by dbt (cleansed.stg_ops__cycle_predictions) for the
-- truck_excess lever of marts.fct_fuel_savings. One row per cycle and model version: a re-run,
-- or a second run of the same version, adds nothing (ON CONFLICT DO NOTHING).
CREATE TABLE IF NOT EXISTS ops.cycle_predictions (
    cycle_id          text             NOT NULL,
    model_name        text             NOT NULL,
    model_version     text             NOT NULL,
    predicted_fuel_l  double precision NOT NULL,
    scored_at         timestamptz      NOT NULL,
    run_id            text,
    PRIMARY KEY (cycle_id, model_name, model_version)
);
CREATE INDEX IF NOT EXISTS cycle_predictions_version_idx
    ON ops.cycle_predictions (model_name, model_version);
