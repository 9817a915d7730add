"""National ID numbers in answers: masked the same way in every view (workflows.identifiers),
shown in full only when the request asks for it (``unmask=true``) and the caller's role needs
them, and each such read recorded before it is answered (engine.audit.privacy), so auditors can
list who read whose personal data, when."""

from __future__ import annotations

from flask import request
from flask_smorest import abort

from engine.audit import privacy
from workflows.identifiers import mask_national_ids

from .auth import AUDITOR, CLERK, SUPERVISOR, current_principal, engine

# Clerks and supervisors check documents against the numbers; auditors read the full record.
UNMASKING_ROLES = (CLERK, SUPERVISOR, AUDITOR)


def masked(value, unmasked: bool = False):
    """``value`` (JSON-like) with national ID numbers masked, unless ``unmasked``."""
    return value if unmasked else mask_national_ids(value)


def unmasked_read(args, case, view: str) -> bool:
    """True when the request asks for ``case`` unmasked (``args["unmask"]``); the read is recorded
    first. A caller whose role does not need the numbers is refused (403), never silently masked."""
    if not args.get("unmask"):
        return False
    if not current_principal().has_any(*UNMASKING_ROLES):
        abort(403, message=f"Unmasked national ID numbers need one of the roles: {', '.join(UNMASKING_ROLES)}")
    record_full_read(case, view)
    return True


def record_full_read(case, view: str) -> None:
    """Record that the caller reads ``case``'s national ID numbers in full through ``view``,
    before the answer leaves."""
    principal = current_principal()
    with engine().write() as session:
        privacy.record_read(
            session,
            reader=principal.username,
            case_id=case.id,
            case_number=case.number,
            view=view,
            client=request.remote_addr,
            now=engine().clock.now(),
        )
