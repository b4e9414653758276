-- Least privilege for the extract: the login `fuelopt_extract` may read the operations tables and
-- nothing else (db_datareader on mine_ops). The Airflow connection `fuelopt_sqlserver` logs in as
-- it, never as `sa`. Run by `sqlserver-init` with sqlcmd -v EXTRACT_PASSWORD=...; idempotent, and
-- a changed password is applied on the next run.
USE mine_ops;
GO
IF SUSER_ID(N'fuelopt_extract') IS NULL
    CREATE LOGIN fuelopt_extract WITH PASSWORD = N'$(EXTRACT_PASSWORD)', CHECK_POLICY = ON;
ELSE
    ALTER LOGIN fuelopt_extract WITH PASSWORD = N'$(EXTRACT_PASSWORD)';
GO
IF USER_ID(N'fuelopt_extract') IS NULL
    CREATE USER fuelopt_extract FOR LOGIN fuelopt_extract;
GO
ALTER ROLE db_datareader ADD MEMBER fuelopt_extract;
GO
