"""The OpenAPI document and its Swagger UI page, served from the package (no CDN: a bonded-zone intranet
may not reach one, and no page requests outside the platform's origin; tests/e2e/test_home.py).

FastAPI (and fastapi-offline, whose Swagger UI files these are) would add these routes to each app as
closures over that app. FastAPI keeps each route's callable in caches of its own for thousands of
callables, so every app a process made stayed alive with its database engine: a test process (an app a
test) grew by about 7,500 objects a test, and each of its garbage collections walked them all. These
routes read the app from the request instead, like every other route, and the apps share them
(api.app `_included_routes`); an app no longer used is freed (tests/api/test_app_lifetime.py)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# Swagger UI's script, style sheet and icon, as fastapi-offline packages them.
STATIC_URL = "/static-offline-docs"

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static")


@router.get(OPENAPI_URL)
def openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get(DOCS_URL)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{OPENAPI_URL}",
        title=request.app.title + " - Swagger UI",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
        swagger_ui_parameters=request.app.swagger_ui_parameters,
    )


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
