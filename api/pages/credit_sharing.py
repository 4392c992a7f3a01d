"""Authorised sharing on the pages (授权即达): the merchant's page (/merchant/credit/sharing) to authorise
a bank or an insurer, see and revoke its authorisations and read who read its report; the institution's
page (/insurer/credit for an insurer, /bank/credit for a bank) with the authorisations it holds and the
shared report, each view of which is a read audited as the API's is. All call credit.sharing, the rule
the API uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Id
from api.pages import glossary, web
from api.problems import _field_path, _reason
from core.errors import FieldError, Forbidden, Invalid
from core.security import Role
from credit import service as credit
from credit import sharing
from enterprises import service as enterprises

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Merchant = Annotated[web.EnterpriseUser, Depends(web.merchant_user)]
Insurer = Annotated[web.EnterpriseUser, Depends(web.insurer_user)]
# Where each institution's pages live: its shared reports, and the desk they are reached from (a bank has
# no desk on the platform: its shared reports are its home).
INSURER_PAGES = {"base": "/insurer/credit", "home": "/insurer"}
BANK_PAGES = {"base": "/bank/credit", "home": None}


def bank_user(request: Request) -> web.EnterpriseUser:
    principal = web.signed_in(request)
    if principal.role != Role.bank:
        raise Forbidden("银行页面只对银行开放 · The bank's pages are for banks only")
    return web.EnterpriseUser.of(principal)


Bank = Annotated[web.EnterpriseUser, Depends(bank_user)]


def _invalid(exc: ValidationError) -> Invalid:
    errors = [
        FieldError(
            _field_path(e.get("loc", ())) or "form",
            glossary.reason(_reason(e), e.get("type", ""), e.get("ctx")),
        )
        for e in exc.errors()
    ]
    return Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)


@router.get("/merchant/credit/sharing")
def merchant_sharing(request: Request, me: Merchant) -> Response:
    with request.app.state.db.read_session() as s:
        ent = enterprises.get(s, me.enterprise_id)
        ids = set(enterprises.ids_of_kind(s, "bank")) | set(enterprises.ids_of_kind(s, "insurer"))
        profiles = enterprises.public_profiles(s, ids)
        context = {
            "ent": ent,
            "institutions": sorted(
                (p for p in profiles.values() if p.get("status") == "active"),
                key=lambda p: (p["kind"], p["id"]),
            ),
            "grants": sharing.authorisations(s, enterprise_id=me.enterprise_id),
            "reads": sharing.reads(s, me.enterprise_id),
            "max_days": sharing.MAX_SHARE_DAYS,
        }
    return web.render(request, "merchant_sharing.html", context)


@router.post("/merchant/credit/sharing")
def authorise(
    request: Request,
    me: Merchant,
    institution_id: Annotated[str, Form(max_length=12)] = "",
    scope: Annotated[str, Form(max_length=24)] = "report",
    ends_on: Annotated[str, Form(max_length=10)] = "",
    purpose: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        data = sharing.AuthorisationCreate.model_validate(
            {"institution_id": institution_id, "scope": scope, "ends_on": ends_on, "purpose": purpose}
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    with request.app.state.db.transaction() as s:
        sharing.authorise(s, me.enterprise_id, data, me)
    return RedirectResponse("/merchant/credit/sharing?done=authorised", status_code=303)


@router.post("/merchant/credit/sharing/{authorisation_id}/revoke")
def revoke(request: Request, authorisation_id: Id, me: Merchant) -> Response:
    with request.app.state.db.transaction() as s:
        sharing.revoke(s, me.enterprise_id, authorisation_id, me)  # another merchant's: 404 page
    return RedirectResponse("/merchant/credit/sharing?done=revoked", status_code=303)


def _grants(request: Request, me: web.EnterpriseUser, pages: dict) -> Response:
    with request.app.state.db.read_session() as s:
        grants = sharing.authorisations(s, institution_id=me.enterprise_id)
        merchants = enterprises.public_profiles(s, {g.enterprise_id for g in grants})
    context = {"grants": grants, "merchants": merchants, "pages": pages}
    return web.render(request, "insurer_credit.html", context)


def _report(request: Request, enterprise_id: int, me: web.EnterpriseUser, pages: dict) -> Response:
    """The shared report: the same signed read as the API's, audited (no live authorisation: 403)."""
    with request.app.state.db.transaction() as s:
        shared = sharing.read_report(s, enterprise_id, me)
    return web.render(
        request,
        "insurer_credit_report.html",
        {
            "doc": shared["document"],
            "sig": shared["signature"],
            "names": credit.display_names(),
            "pages": pages,
        },
    )


@router.get("/insurer/credit")
def insurer_grants(request: Request, me: Insurer) -> Response:
    return _grants(request, me, INSURER_PAGES)


@router.get("/insurer/credit/{enterprise_id}")
def insurer_report(request: Request, enterprise_id: Id, me: Insurer) -> Response:
    return _report(request, enterprise_id, me, INSURER_PAGES)


@router.get("/bank/credit")
def bank_grants(request: Request, me: Bank) -> Response:
    return _grants(request, me, BANK_PAGES)


@router.get("/bank/credit/{enterprise_id}")
def bank_report(request: Request, enterprise_id: Id, me: Bank) -> Response:
    return _report(request, enterprise_id, me, BANK_PAGES)
