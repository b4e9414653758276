"""Extractors for the two source systems (PostgREST telemetry, SQL Server operations)."""
