"""Server-rendered pages (Jinja2): the home page now; the scan page and consoles as their domains land."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.deps import public_rate_limit
from api.pages import glossary
from core.db import id_of

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


# Times and dates are shown by the glossary's filters (cn_time, cn_date), in China time, one way.
glossary.install(templates.env)
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    base = request.app.state.settings.resolver_base_url
    return templates.TemplateResponse(
        request, "home.html", {"resolver": base, "canonical": base.rstrip("/") + "/"}
    )


def _credit_report(request: Request, uscc: str) -> dict:
    from credit import service as credit
    from enterprises import service as enterprises
    from insurance import service as insurance

    with request.app.state.db.read_session() as s:
        ent = enterprises.get_by_uscc(s, uscc)
        report = credit.public_report(s, id_of(ent))
        # The cover in force, from the insurance domain's own read (the credit domain does not know it).
        report["insurance"] = insurance.enterprise_cover(s, id_of(ent))
        return report


@router.get("/credit/{uscc}", response_class=HTMLResponse, dependencies=[Depends(public_rate_limit)])
def credit_report(request: Request, uscc: str) -> HTMLResponse:
    """The printable public credit report (企业信用报告)."""
    from credit import service as credit

    report = _credit_report(request, uscc)
    return templates.TemplateResponse(
        request, "credit_report.html", {"r": report, "names": credit.display_names(), "lang": "zh-CN"}
    )


@router.get("/credit/{uscc}/report.pdf", dependencies=[Depends(public_rate_limit)])
def credit_report_pdf(request: Request, uscc: str) -> Response:
    from core.errors import Unavailable
    from credit import report as pdf
    from credit import service as credit

    data = _credit_report(request, uscc)
    try:
        body = pdf.report_pdf(data, credit.display_names())
    except pdf.FontMissingError as exc:
        raise Unavailable(str(exc)) from None
    name = f"credit-report-{data['enterprise']['uscc']}.pdf"
    return Response(
        body, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )
