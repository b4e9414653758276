-- Cluster roles of the telemetry source (run by a superuser / CREATEROLE admin; idempotent).
-- PostgREST's documented pattern: an anonymous role without login that holds the read grants,
-- and an authenticator role (LOGIN NOINHERIT) that PostgREST connects as and switches to the
-- anonymous role for each request. The authenticator's password is set out of band (compose
-- secret / production vault), never here.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'telemetry_anon') THEN
        CREATE ROLE telemetry_anon NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'telemetry_authenticator') THEN
        CREATE ROLE telemetry_authenticator LOGIN NOINHERIT;
    END IF;
END
$$;
GRANT telemetry_anon TO telemetry_authenticator;
