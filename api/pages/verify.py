"""The verify page (issue 26): a consumer or an officer checks a code's signature (AI 8030) in the
browser against the platform's published certificates, with WebCrypto, and with no network once the
page has been opened: a service worker keeps the page, its script and the certificates."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import public_rate_limit
from api.pages import glossary
from api.pages.routes import HERE, templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(public_rate_limit)])
OUTCOMES = list(glossary.WORDS["signature_outcome"])
ANSWERS = list(glossary.WORDS["answer_outcome"])


@router.get("/verify")
def verify_bare() -> RedirectResponse:
    return RedirectResponse("/verify/", status_code=308)


@router.get("/verify/", response_class=HTMLResponse)
def verify_page(request: Request) -> HTMLResponse:
    words = {o: glossary.word(o, "signature_outcome") for o in OUTCOMES}
    words |= {a: glossary.word(a, "answer_outcome") for a in ANSWERS}
    return templates.TemplateResponse(request, "verify.html", {"words": words})


@router.get("/verify/sw.js")
def service_worker() -> Response:
    """At /verify/ so that its scope is the page's; never cached by HTTP, so an update reaches it."""
    return Response(
        (HERE / "static" / "verify-sw.js").read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )
