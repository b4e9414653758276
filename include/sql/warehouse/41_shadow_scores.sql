-- Shadow scoring (fuelopt.monitor.shadow): the cycle fuel champion and its shadows (the previous
-- champion, an unpromoted challenger) scored on the same window of live haul cycles. One row per
-- model version and window: a re-run of a window replaces its rows.
CREATE TABLE IF NOT EXISTS ops.shadow_scores (
    model_name       text             NOT NULL,
    model_version    text             NOT NULL,
    window_start     timestamptz      NOT NULL,
    window_end       timestamptz      NOT NULL,
    role             text             NOT NULL,   -- champion | previous | challenger
    n_cycles         integer          NOT NULL,
    mae_l            double precision,
    mape_pct         double precision,
    bias_l           double precision,            -- mean of predicted - actual litres
    baseline_mae_l   double precision,            -- the version's own validation (cv_mae_l)
    degradation_pct  double precision,            -- 100 x (mae_l - baseline_mae_l) / baseline_mae_l
    scored_at        timestamptz      NOT NULL,
    run_id           text             NOT NULL,
    PRIMARY KEY (model_name, window_start, window_end, model_version)
);
CREATE INDEX IF NOT EXISTS shadow_scores_window_end_idx ON ops.shadow_scores (window_end);
