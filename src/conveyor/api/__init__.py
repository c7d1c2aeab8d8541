"""The HTTP API (FastAPI): /api/v1, API-key auth, problem+json errors."""

# Routers are built with this prefix (not given it at include time) so that each route's
# path, used as the metrics label, is the full template.
API_PREFIX = "/api/v1"
