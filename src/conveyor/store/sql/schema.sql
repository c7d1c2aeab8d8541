-- name: schema_revision
-- The Alembic revision the database is at (readiness compares it with the code's).
SELECT (SELECT version_num FROM conveyor.alembic_version) AS revision;
