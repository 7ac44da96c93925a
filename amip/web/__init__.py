"""The web shell: FastAPI app (German UI pages and the REST API under /api/v1) over the core.

``create_app(settings)`` builds the app; pages and API call the same engine functions as the CLI
and reports, through :class:`amip.web.services.Services` (which caches computed records per data
state, so a page view does not recompute the measures).
"""
