-- The operations database of the compose stack's SQL Server (a real mine has its own). Run by the
-- one-shot `sqlserver-init` service as `sa`, before 10_operations.sql. Idempotent.
IF DB_ID(N'mine_ops') IS NULL
    CREATE DATABASE mine_ops;
GO
