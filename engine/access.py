"""Who may read and act on which cases.

A clerk or supervisor reaches a case in which a lane of theirs (a group, = a BPMN lane) has or
had work, or one they handle; a clerk with no group reaches none. Auditors and admins reach
every case. Offices narrow all of it: a caller of some offices (``offices``) reaches only cases
those offices work or received; None is every office (the bureau). The rule is applied where cases are read and changed (``engine.storage.queries``,
``engine.storage.store``, the case commands), so no entrypoint can forget it; commands and reads
given no ``CaseAccess`` are the system's own (scheduler, workers, the operator's CLI).
"""

from __future__ import annotations

from dataclasses import dataclass

# Roles whose holders reach every case: they read the office's history as a whole.
ALL_CASES_ROLES = frozenset({"auditor", "admin"})
# Roles whose holders reach the cases of their groups (lanes) and those they handle.
GROUP_ROLES = frozenset({"clerk", "supervisor"})


@dataclass(frozen=True)
class CaseAccess:
    """The cases one caller may reach: every case, or those with work in one of ``lanes`` (now or
    before) and those ``username`` handles; of ``offices`` only (None: of every office)."""

    username: str | None = None
    lanes: frozenset[str] = frozenset()
    all_cases: bool = False
    offices: frozenset[str] | None = None

    @classmethod
    def of(cls, username: str, roles, groups, offices: frozenset[str] | None = None) -> CaseAccess:
        roles = frozenset(roles)
        if roles & ALL_CASES_ROLES:
            return cls(username, frozenset(groups), all_cases=True, offices=offices)
        lanes = frozenset(groups) if roles & GROUP_ROLES else frozenset()
        return cls(username if roles & GROUP_ROLES else None, lanes, offices=offices)

    @property
    def every_case(self) -> bool:
        """Every case of every office: no condition to apply."""
        return self.all_cases and self.offices is None

    @property
    def reaches_nothing(self) -> bool:
        no_office = self.offices is not None and not self.offices
        return no_office or (not self.all_cases and not self.lanes and self.username is None)
