"""Reading one declaration or one of its lines, with the enterprise scope: shared by the declaration
operations (service.py) and the code batch runner (batches.py), which must not import each other."""

from __future__ import annotations

from sqlmodel import Session, select

from core import agencies
from core.errors import NotFound
from core.security import Principal
from traceability.models import Declaration, DeclarationLine


def get_declaration(session: Session, declaration_id: int, enterprise_id: int | None = None) -> Declaration:
    """A declaration; with `enterprise_id`, only one of that enterprise's (else not found)."""
    decl = session.get(Declaration, declaration_id)
    if decl is None:
        raise NotFound(f"no declaration {declaration_id}")
    if enterprise_id is not None and decl.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no declaration {declaration_id}")
    return decl


def get_line(session: Session, declaration_id: int, line_no: int) -> DeclarationLine:
    line = session.exec(
        select(DeclarationLine).where(
            DeclarationLine.declaration_id == declaration_id, DeclarationLine.line_no == line_no
        )
    ).first()
    if line is None:
        raise NotFound(f"declaration {declaration_id} has no line {line_no}")
    return line


def ensure_acts(session: Session, by: Principal, decl: Declaration) -> None:
    """The caller may act on the declaration: its enterprise's key, or a regulator of the enterprise's
    agency (its registered region, `core.agencies`), or an admin."""
    by.ensure_may_act_for(decl.enterprise_id)
    agencies.ensure_acts_for_enterprise(session, by, decl.enterprise_id, f"declaration {decl.declaration_no}")


def declaration_to_act(session: Session, declaration_id: int, by: Principal) -> Declaration:
    decl = get_declaration(session, declaration_id)
    ensure_acts(session, by, decl)
    return decl
