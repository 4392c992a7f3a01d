"""Server-rendered pages (Jinja2): the home page now; the scan page and consoles as their domains land."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def beijing_time(value: str | None) -> str:
    """An ISO timestamp shown as Beijing time (UTC+8), the time every consumer here reads."""
    if not value:
        return ""
    from datetime import datetime

    from core.workdays import CHINA_TZ

    try:
        return (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            .astimezone(CHINA_TZ)
            .strftime("%Y-%m-%d %H:%M")
        )
    except ValueError:
        return value


templates.env.filters["beijing"] = beijing_time
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "home.html", {"resolver": request.app.state.settings.resolver_base_url}
    )
