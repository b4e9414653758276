-- Operational tables written by the DAGs (not by dbt). The dbt marts for BI are views over the
-- ones BI needs (marts.fct_fleet_plan, fct_fuel_forecast, fct_model_performance, fct_drift_checks).

-- One row per load of one table and data interval (fuelopt.warehouse).
CREATE TABLE IF NOT EXISTS ops.load_audit (
    batch_id        text        PRIMARY KEY,
    source          text        NOT NULL,     -- postgrest | sqlserver | synth
    table_name      text        NOT NULL,
    interval_start  timestamptz,
    interval_end    timestamptz,
    rows_read       bigint      NOT NULL,
    rows_loaded     bigint      NOT NULL,
    rows_replaced   bigint      NOT NULL DEFAULT 0,
    seconds         double precision NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS load_audit_table_idx ON ops.load_audit (table_name, interval_end);

-- High-water mark per source table for incremental extraction.
CREATE TABLE IF NOT EXISTS ops.watermarks (
    source     text        NOT NULL,
    table_name text        NOT NULL,
    column_name text       NOT NULL,
    value      timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, table_name)
);

-- Great Expectations results, one row per expectation per validation (fuelopt.quality).
CREATE TABLE IF NOT EXISTS ops.dq_results (
    validated_at   timestamptz NOT NULL DEFAULT now(),
    run_id         text        NOT NULL,
    suite          text        NOT NULL,
    table_name     text        NOT NULL,
    expectation    text        NOT NULL,
    column_name    text,
    success        boolean     NOT NULL,
    observed       text,
    details        jsonb
);
ALTER TABLE ops.dq_results ADD COLUMN IF NOT EXISTS batch_id text;  -- the raw load batch validated

-- Raw load batches (ops.load_audit.batch_id) that passed their raw gate suite: the raw gate
-- validates each batch once, every batch not in here (fuelopt.quality.gates).
CREATE TABLE IF NOT EXISTS ops.gated_batches (
    batch_id   text        NOT NULL,
    suite      text        NOT NULL,
    table_name text        NOT NULL,
    rows_validated bigint  NOT NULL,
    run_id     text        NOT NULL,
    gated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, suite)
);

-- Every forecast the system issues (fuelopt.ml); actuals joined by dbt (fct_fuel_forecast).
CREATE TABLE IF NOT EXISTS ops.predictions (
    prediction_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_name     text        NOT NULL,
    model_version  text        NOT NULL,
    issued_at      timestamptz NOT NULL,
    horizon_days   integer     NOT NULL,
    target_date    date        NOT NULL,
    pred           double precision NOT NULL,
    lo80           double precision NOT NULL,
    hi80           double precision NOT NULL,
    lo95           double precision NOT NULL,
    hi95           double precision NOT NULL,
    run_id         text,
    UNIQUE (model_name, model_version, issued_at, horizon_days, target_date)
);

-- Fleet plans (fuelopt.optimize): one row per truck per planned shift, run-level figures repeated.
CREATE TABLE IF NOT EXISTS ops.fleet_plan (
    plan_id           text        NOT NULL,
    shift_date        date        NOT NULL,
    shift             text        NOT NULL,
    truck_id          text        NOT NULL,
    shovel_id         text        NOT NULL,  -- '-' when the truck idles
    dump_id           text        NOT NULL,  -- '-' when the truck idles
    cycles            integer     NOT NULL,
    predicted_fuel_l  double precision NOT NULL,
    status            text        NOT NULL,
    objective_fuel_l  double precision,
    baseline_fuel_l   double precision,
    saving_pct        double precision,
    gap_pct           double precision,
    solve_seconds     double precision,
    fuel_source       text        NOT NULL,  -- champion model version, or 'physics'
    created_at        timestamptz NOT NULL DEFAULT now(),
    run_id            text,
    predicted_cost    double precision,          -- predicted_fuel_l x reports.diesel_price_per_l
    predicted_co2_kg  double precision,          -- predicted_fuel_l x reports.co2_kg_per_l
    saving_l          double precision,          -- litres saved against greedy dispatch (run)
    saving_cost       double precision,
    saving_co2_kg     double precision,
    currency          text,
    planned_tonnes    double precision,          -- cycles x the truck's payload
    PRIMARY KEY (shift_date, shift, truck_id, shovel_id, dump_id)
);
-- Warehouses created before plans were priced.
ALTER TABLE ops.fleet_plan
    ADD COLUMN IF NOT EXISTS predicted_cost   double precision,
    ADD COLUMN IF NOT EXISTS predicted_co2_kg double precision,
    ADD COLUMN IF NOT EXISTS saving_l         double precision,
    ADD COLUMN IF NOT EXISTS saving_cost      double precision,
    ADD COLUMN IF NOT EXISTS saving_co2_kg    double precision,
    ADD COLUMN IF NOT EXISTS currency         text,
    ADD COLUMN IF NOT EXISTS planned_tonnes   double precision;

-- Drift and performance checks (fuelopt.monitor): one row per check and column.
CREATE TABLE IF NOT EXISTS ops.drift_checks (
    checked_at     timestamptz NOT NULL,
    run_id         text        NOT NULL,
    check_type     text        NOT NULL,   -- data_drift | prediction_drift | accuracy | freshness | reachability | rollback
    subject        text        NOT NULL,   -- table or model checked
    column_name    text        NOT NULL,   -- column, horizon or source ('-' when none)
    metric         text        NOT NULL,   -- psi | ks_stat | mape_degradation_pct | minutes_stale ...
    value          double precision,
    threshold      double precision,
    p_value        double precision,
    drift          boolean     NOT NULL,
    severity       text        NOT NULL,   -- none | info | warning | high | critical
    details        jsonb,
    PRIMARY KEY (run_id, check_type, subject, column_name, metric)
);

-- Automatic retrain requests and the circuit breaker's decisions (fuelopt.monitor).
CREATE TABLE IF NOT EXISTS ops.retrain_requests (
    requested_at timestamptz NOT NULL DEFAULT now(),
    run_id       text        NOT NULL,
    reason       text        NOT NULL,
    accepted     boolean     NOT NULL,
    blocked_by   text
);
