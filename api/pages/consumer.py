"""The consumer's complaint pages, for a phone: file a complaint about a scanned item (with photos) and
follow the case by its tracking token. No JavaScript, Chinese by default (`?lang=en` for English).

Filing calls the complaints domain as the API's intake does (evidence checked and re-encoded by
complaints/evidence.py, the files staged, the case saved by complaints/service.py); the tracking page
reads and acts through complaints/service.py by token, and shows the insurance claim the case led to. The token travels in the query string (the access log
keeps parameter names, never values) and every page here sends `Referrer-Policy: no-referrer`, so a
link on the page never carries it to another site."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import public_rate_limit, take_public_token
from api.pages import glossary, web
from complaints.models import Category, Wanted
from complaints.schemas import IntakeIn
from core.db import id_of
from core.errors import FieldError, Invalid, NotFound

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)

TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "title_new": "投诉此商品",
        "title_track": "投诉进度",
        "lead": "请描述问题，我们会转交进口商家，并在法定期限内跟进。",
        "code": "商品追溯码",
        "category": "问题类型",
        "wanted": "您的诉求",
        "narrative": "问题描述（至少 10 个字）",
        "contact": "手机号或电子邮箱（仅处理人员可见）",
        "photos": "照片（最多 5 张，JPEG/PNG/WebP）",
        "consent": "同意在结案后匿名公示本投诉",
        "submit": "提交投诉",
        "filed": "投诉已提交。请保存下面的查询码，凭它查看进度。",
        "token": "查询码",
        "ticket": "投诉编号",
        "status": "状态",
        "deadline": "处理期限",
        "workdays": "还剩 {n} 个工作日（{date} 前）",
        "overdue": "已超期 {n} 个工作日",
        "answer": "商家答复",
        "no_answer": "商家尚未答复。",
        "accept": "接受答复并结案",
        "dispute": "不满意，申请监管部门调解",
        "dispute_reason": "不满意的原因",
        "reply": "补充说明",
        "send": "发送",
        "rate": "评价处理结果（1–5）",
        "trail": "处理记录",
        "open": "查看进度",
        "bad_token": "查询码的长度不对：查询码有 20 到 64 个字符，是提交投诉后页面上显示的那一串。",
        "unknown_token": "没有找到这个查询码对应的投诉。",
        "token_hint": "请对照提交投诉后保存的查询码逐个字符核对，注意大小写；较早的查询码里可能有容易混淆的字符（O 与 0、I 与 l 与 1）。",
        "errors": "请修改以下内容：",
        "switch": "English",
        "claim": "保险理赔",
        "claim_amount": "金额",
    },
    "en": {
        "title_new": "Complain about this item",
        "title_track": "Your complaint",
        "lead": "Tell us what is wrong: we pass it to the importer and follow it up within the legal deadlines.",
        "code": "Trace code",
        "category": "What is wrong",
        "wanted": "What you ask for",
        "narrative": "What happened (10 characters or more)",
        "contact": "Mobile number or e-mail (seen only by those handling it)",
        "photos": "Photos (up to 5; JPEG, PNG or WebP)",
        "consent": "Publish this complaint anonymously once it is closed",
        "submit": "Send complaint",
        "filed": "Your complaint is filed. Keep the tracking code below to follow it.",
        "token": "Tracking code",
        "ticket": "Ticket",
        "status": "Status",
        "deadline": "Deadline",
        "workdays": "{n} working days left (by {date})",
        "overdue": "{n} working days overdue",
        "answer": "The merchant's answer",
        "no_answer": "The merchant has not answered yet.",
        "accept": "Accept the answer and close",
        "dispute": "Not satisfied: ask the regulator to mediate",
        "dispute_reason": "Why you are not satisfied",
        "reply": "Add information",
        "send": "Send",
        "rate": "Rate the outcome (1–5)",
        "trail": "Trail",
        "open": "Open",
        "bad_token": "That tracking code is the wrong length: a tracking code has 20 to 64 characters, the ones shown when you filed the complaint.",
        "unknown_token": "No complaint opens with that tracking code.",
        "token_hint": "Compare it character by character with the code you kept, minding capitals; older codes may hold characters that look alike (O and 0, I, l and 1).",
        "errors": "Please correct:",
        "switch": "中文",
        "claim": "Insurance claim",
        "claim_amount": "Amount",
    },
}


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    lang = _lang(request)
    say = glossary.en if lang == "en" else glossary.zh
    response = web.render(
        request,
        name,
        {"t": TEXT[lang], "ui": lang, "say": say, "lang": "en" if lang == "en" else "zh-CN", **context},
        status,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _form_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(
            ".".join(str(p) for p in e["loc"]) or "form", glossary.reason(e["msg"], e["type"], e.get("ctx"))
        )
        for e in exc.errors()
    ]


@router.get("/complaints/new")
def new(request: Request, code: str = "") -> Response:
    return _render(
        request,
        "complaint_new.html",
        {"code": code[:300], "values": {}, "errors": [], "categories": list(Category), "wants": list(Wanted)},
    )


@router.post("/complaints/new")
async def file(
    request: Request,
    code: Annotated[str, Form(max_length=300)] = "",
    category: Annotated[str, Form(max_length=30)] = "",
    wanted: Annotated[str, Form(max_length=30)] = "",
    narrative: Annotated[str, Form(max_length=4000)] = "",
    contact: Annotated[str, Form(max_length=300)] = "",
    consent_publish: Annotated[str, Form(max_length=5)] = "",
    evidence: Annotated[list[UploadFile], File()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    await public_rate_limit(request)
    values = {
        "code": code.strip(),
        "category": category,
        "wanted": wanted,
        "narrative": narrative.strip(),
        "contact": contact.strip(),
        "consent_publish": bool(consent_publish),
    }
    kit = request.app.state.complaint_kit
    # A file input left empty still sends one nameless, empty part.
    files = [f for f in evidence if f.filename]
    try:
        data = IntakeIn.model_validate(values)
        # One byte past the limit, so an oversized file is refused without reading all of it.
        raw = [await f.read(kit.max_bytes + 1) for f in files]
        token = await run_in_threadpool(_intake, request.app.state.db, kit, data, raw)
    except ValidationError as exc:
        errors = _form_errors(exc)
    except Invalid as exc:
        errors = exc.errors or [FieldError("evidence", exc.detail)]
    else:
        suffix = "&lang=en" if _lang(request) == "en" else ""
        return RedirectResponse(f"/complaints/track?token={quote(token)}&new=1{suffix}", status_code=303)
    return _render(
        request,
        "complaint_new.html",
        {
            "code": values["code"],
            "values": values,
            "errors": errors,
            "categories": list(Category),
            "wants": list(Wanted),
        },
        422,
    )


def _intake(db, kit, data: IntakeIn, raw: list[bytes]) -> str:  # noqa: ANN001 - Database, Kit
    """File the case with its evidence; its tracking token."""
    from complaints import service as complaints

    prepared = kit.prepare_evidence(raw)
    # Files first, then the case; a case that fails to save takes its new files with it.
    with kit.store.staged(prepared), db.transaction() as s:
        _, token, _ = complaints.intake(s, kit, data, prepared)
        return token


def _token(token: str) -> str:
    token = token.strip()
    if not 20 <= len(token) <= 64:
        raise Invalid.field("token", "a tracking code is 20 to 64 characters")
    return token


@router.get("/complaints/track")
def track(request: Request, token: str = "", new: str = "") -> Response:
    from complaints import service as complaints
    from core.clock import as_utc, utcnow
    from core.workdays import CHINA_TZ
    from insurance import claims as insurance_claims

    if not token:
        return _render(request, "complaint_lookup.html", {})
    take_public_token(request)
    kit = request.app.state.complaint_kit
    try:
        token = _token(token)
        with request.app.state.db.read_session() as s:
            c = complaints.by_token(s, token)
            messages = complaints.messages(s, id_of(c))
            claim = insurance_claims.claim_of_case(s, id_of(c), c.serial)
    except (Invalid, NotFound) as exc:
        # A mistyped code: the form again, saying what is wrong and how to check it, not a bare 4xx.
        problem = "bad_token" if isinstance(exc, Invalid) else "unknown_token"
        return _render(
            request, "complaint_lookup.html", {"problem": problem, "typed": token.strip()[:64]}, exc.status
        )
    # Paid first by the insurer while the case waits to be closed: one status, not 先行赔付中 and 已赔付.
    shown_status = c.status
    if c.status == "compensation_due" and claim is not None and claim["status"] == "paid":
        shown_status = "compensation_paid"
    left = None
    if c.due_at is not None:
        now, due = utcnow(), as_utc(c.due_at)
        left = kit.clocks.workdays_between(now, due) if due >= now else -kit.clocks.workdays_between(due, now)
    return _render(
        request,
        "complaint_track.html",
        {
            "c": c,
            "token": token,
            "new": bool(new),
            "left": left,
            "due_date": as_utc(c.due_at).astimezone(CHINA_TZ).date().isoformat() if c.due_at else "",
            "messages": messages,
            "claim": claim,
            "shown_status": shown_status,
        },
    )


@router.post("/complaints/track/{action}")
def act(
    request: Request,
    action: str,
    token: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    rating: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    from complaints import service as complaints
    from complaints.schemas import DisputeIn, RatingIn, ReplyIn

    take_public_token(request)
    token = _token(token)
    kit = request.app.state.complaint_kit
    try:
        with request.app.state.db.transaction() as s:
            if action == "accept":
                complaints.accept(s, token)
            elif action == "dispute":
                complaints.dispute(s, kit, token, DisputeIn(reason=text.strip()).reason)
            elif action == "reply":
                complaints.reply(s, kit, token, ReplyIn(text=text.strip()).text)
            elif action == "rate":
                complaints.rate(s, token, RatingIn(rating=int(rating) if rating.isdigit() else 0).rating)
            else:
                raise Invalid.field("action", "one of accept, dispute, reply, rate")
    except ValidationError as exc:
        errors = _form_errors(exc)
        raise Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors) from None
    suffix = "&lang=en" if _lang(request) == "en" else ""
    return RedirectResponse(f"/complaints/track?token={quote(token)}{suffix}", status_code=303)
