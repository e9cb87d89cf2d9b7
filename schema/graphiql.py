"""GraphiQL with its assets served by khidma (no CDN: centres may have no internet)."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "static" / "graphiql"


def graphiql_page() -> FileResponse:
    return FileResponse(ASSETS / "index.html", media_type="text/html")


def graphiql_assets() -> Mount:
    return Mount("/graphiql", app=StaticFiles(directory=ASSETS), name="graphiql")
