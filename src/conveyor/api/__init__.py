"""The HTTP API (FastAPI): /api/v1, API-key auth, problem+json errors."""
