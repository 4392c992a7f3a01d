"""The proof pages (issue 23, "proofs for people"): what the public transparency log proves about a trace
code, an enterprise's credit grade or a disclosure record, in words, and the proof itself checked
against the latest signed checkpoint: on the server by the verifier `crosstrust log verify` runs
(translog.client, reading the log's own tiles through an in-process fetch), and again in the browser
(static/verifiable.js: WebCrypto SHA-256 over the path, Ed25519 over the checkpoint where it has it).

An entry not yet under a checkpoint (the outbox and the checkpoint timer lag by seconds) is said to be
on its way, kindly; a proof that fails is said to fail, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import public_rate_limit
from api.pages import glossary, web
from api.pages.routes import templates
from core.db import id_of
from core.errors import NotFound
from core.identifiers import MAX_ID
from translog import client, scheduled, service, tiles
from translog.models import TlogLeaf
from translog.note import Checkpoint

router = APIRouter(
    include_in_schema=False, route_class=web.PageRoute, dependencies=[Depends(public_rate_limit)]
)
BROWSER_OUTCOMES = ("browser", "browser_failed", "browser_partial", "browser_unavailable")
LOCAL = "local:"  # the base the in-process fetch answers for


def _fetch(session: Session, found: dict[str, Any]) -> client.Fetch:
    """The log as its URLs serve it, read from this session: the checkpoint, tiles and bundles, and the
    JSON proof already found (the verifier takes only the leaf's place from it)."""

    def fetch(url: str) -> bytes:
        path = url.removeprefix(LOCAL + "/")
        if path == "tlog/checkpoint":
            return service.served_note(session, service.published(session)).encode()
        if path.startswith("tlog/tile/"):
            data = service.tile(session, tiles.parse(path.removeprefix("tlog/tile/")))
            if data is None:
                raise client.VerifyError(f"{path} is not served")
            return data
        if path.startswith("api/v1/tlog/proof/"):
            return json.dumps(found).encode()
        raise client.VerifyError(f"{path} is not part of the log")

    return fetch


def _verify(
    request: Request, session: Session, found: dict[str, Any], ask: dict[str, Any]
) -> tuple[str | None, list[dict[str, Any]]]:
    """(None, the witnesses that cosigned) when the server's verifier accepts the proof, else (what
    failed, [])."""
    settings = request.app.state.settings
    vkey = scheduled.signer(settings).verifier.encode()
    keys = [w["key"] for w in settings.tlog_witness_list()]
    try:
        report = client.verify(LOCAL, vkey, _fetch(session, found), witnesses=keys, quorum=0, **ask)
    except (client.VerifyError, ValueError, KeyError) as exc:
        return str(exc), []
    return None, witnesses_words(settings.tlog_witness_list(), report["cosigned_by"])


def witnesses_words(configured: list[dict[str, str]], cosigned: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who cosigned, as the configuration names them in words (zh, en), and when."""
    by_name = {w["key"].split("+", 1)[0]: w for w in configured}
    return [
        {
            "name": c["witness"],
            "zh": by_name.get(c["witness"], {}).get("zh") or c["witness"],
            "en": by_name.get(c["witness"], {}).get("en") or c["witness"],
            "at": c["at"][:19].replace("T", " ") + " UTC",
        }
        for c in cosigned
    ]


def failed_check(failure: str) -> str:
    """Which check the verifier's message names (its checks run in this order)."""
    if failure.startswith("checkpoint"):
        return "signature"
    if failure.startswith("the tiles"):
        return "tree"
    return "batch" if "batch's root" in failure else "inclusion"


def _pending(session: Session, leaf: TlogLeaf | None) -> bool:
    if leaf is None:
        return True
    try:
        return leaf.idx >= service.published(session).size
    except NotFound:
        return True


def _short(b64: str) -> str:
    return base64.b64decode(b64).hex()[:16] + "…"


def _leaf_words(found: dict[str, Any]) -> dict[str, Any]:
    """The leaf as people read it: its kind, its version and when it was made."""
    try:
        leaf = json.loads(base64.b64decode(found["leaf"]))
    except ValueError:
        return {"kind": found.get("kind"), "version": found.get("version"), "at": None}
    return {"kind": leaf.get("kind"), "version": leaf.get("version"), "at": leaf.get("at")}


def _render(
    request: Request,
    subject: str,
    back: str,
    command: str,
    state: str,
    found: dict[str, Any] | None,
    failure: str | None = None,
    cosigned: list[dict[str, Any]] | None = None,
) -> HTMLResponse:
    settings = request.app.state.settings
    signer = scheduled.signer(settings).verifier
    context: dict[str, Any] = {
        "lang": "zh-CN",
        "subject": subject,
        "back": back,
        "state": state,
        "failure": failure,
        "failed_check": failed_check(failure) if failure else None,
        "command": f"crosstrust log verify {settings.resolver_base_url.rstrip('/')} "
        f"--key {signer.encode()} {command}",
        "checker_words": {k: glossary.word(k, "tlog_checker") for k in BROWSER_OUTCOMES},
        "vkey": {"name": signer.name, "key": base64.b64encode(signer.public_raw).decode()},
        "cosigned": cosigned or [],
        "witnessed": bool(settings.tlog_witnesses),
    }
    if found is not None:
        cp = Checkpoint.parse(found["checkpoint"][: found["checkpoint"].rfind("\n\n") + 1])
        context |= {
            "found": found,
            "size": cp.size,
            "root": _short(base64.b64encode(cp.root).decode()),
            "leaf_hash": _short(found["leaf_hash"]),
            "path": [_short(h) for h in found["proof"]],
            "entry": _leaf_words(found),
            "browser": {
                "vkey": context["vkey"],
                "subject": subject,
                **{k: found[k] for k in ("leaf_index", "tree_size", "leaf", "proof", "checkpoint")},
                "code": found.get("code"),
            },
        }
    response = templates.TemplateResponse(request, "verifiable.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(
    request: Request, subject: str, back: str, command: str, ask: dict[str, Any], prove: Any
) -> HTMLResponse:
    """`prove(session)` is the leaf and its proof's finder: (leaf or None, found or None)."""
    with request.app.state.db.read_session() as s:
        leaf, find = prove(s)
        if _pending(s, leaf):
            return _render(request, subject, back, command, "pending", None)
        found = find()
        failure, cosigned = _verify(request, s, found, ask)
    state = "failed" if failure else "verified"
    return _render(request, subject, back, command, state, found, failure, cosigned)


def _leaf(session: Session, subject: str, version: int | None = None) -> TlogLeaf | None:
    try:
        return service.leaf_of(session, subject, version)
    except NotFound:
        return None


Serial = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_-]+$")]


@router.get("/verifiable/code/{serial}", response_class=HTMLResponse)
def code_page(request: Request, serial: Serial) -> HTMLResponse:
    from traceability import batches

    def prove(s: Session) -> tuple[TlogLeaf | None, Any]:
        batch_id = batches.batch_of_serial(s, serial)
        if batch_id is None:
            raise NotFound(f"no code with serial {serial}")
        return _leaf(s, f"code-batch:{batch_id}"), lambda: service.code_inclusion(s, serial)

    # Back to the scan page it came from, when it came from this platform's own origin.
    referer = request.headers.get("referer", "")
    origin = request.app.state.settings.resolver_base_url.rstrip("/") + "/"
    back = referer if referer.startswith(origin) else "/code"
    return _page(request, "code", back, f"--serial {serial}", {"serials": [serial]}, prove)


@router.get("/verifiable/grade/{uscc}", response_class=HTMLResponse)
def grade_page(request: Request, uscc: Annotated[str, Path(max_length=40)]) -> HTMLResponse:
    from enterprises import service as enterprises

    with request.app.state.db.read_session() as s:
        ent_id = id_of(enterprises.get_by_uscc(s, uscc))

    def prove(s: Session) -> tuple[TlogLeaf | None, Any]:
        leaf = _leaf(s, f"grade:{ent_id}")
        return leaf, lambda: service.inclusion(s, leaf) if leaf else {}

    back = f"/enterprises/{uscc}"
    return _page(request, "grade", back, f"--grade {ent_id}", {"grades": [ent_id]}, prove)


@router.get("/verifiable/record/{record_id}", response_class=HTMLResponse)
def record_page(
    request: Request,
    record_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    from disclosure import service as disclosure

    def prove(s: Session) -> tuple[TlogLeaf | None, Any]:
        row = disclosure.get(s, record_id)
        if row is None or row.visibility != "public" or (version or 0) > row.version:
            raise NotFound(f"no disclosure record {record_id}")
        leaf = _leaf(s, f"disclosure:{record_id}", version)
        return leaf, lambda: service.inclusion(s, leaf) if leaf else {}

    command = f"--record {record_id}" + (f"@{version}" if version else "")
    return _page(request, "record", "/disclosures", command, {"records": [(record_id, version)]}, prove)
