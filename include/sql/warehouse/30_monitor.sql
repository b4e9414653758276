-- Indexes for the monitoring queries (fuelopt.monitor).
CREATE INDEX IF NOT EXISTS drift_checks_type_checked_idx ON ops.drift_checks (check_type, checked_at);
CREATE INDEX IF NOT EXISTS retrain_requests_requested_idx ON ops.retrain_requests (requested_at);
