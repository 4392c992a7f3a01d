"""Reading one declaration or one of its lines, with the enterprise scope: shared by the declaration
operations (service.py) and the code batch runner (batches.py), which must not import each other."""

from __future__ import annotations

from sqlmodel import Session, select

from core.errors import NotFound
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
