"""Who sees which statistics: administrators every city, city editors their own cities.
Decided on the server; the filters of every query and file come from here."""

from __future__ import annotations

from bot.staff.models import Role, StaffAccount
from bot.workspace.permissions import PermissionDenied, may_see_city


def may_see_statistics(account: StaffAccount) -> bool:
    return account.active and account.role in {Role.ADMINISTRATOR, Role.CITY_EDITOR}


def cities_for(account: StaffAccount, chosen: str = "") -> frozenset[str] | None:
    """The cities a query may read: the one chosen (if the account may see it), else all
    the account's (None: every city, and facts of no known city, for administrators)."""
    if not may_see_statistics(account):
        raise PermissionDenied
    if chosen:
        if not may_see_city(account, chosen):
            raise PermissionDenied
        return frozenset({chosen})
    if account.role == Role.ADMINISTRATOR:
        return None
    return frozenset(account.city_slugs)
