"""Who may change what in the workspace. Checked by the server on every request."""

from __future__ import annotations

from bot.kb.models import SOURCE_LANGUAGE
from bot.staff.models import Role, StaffAccount


class PermissionDenied(Exception):
    """The signed-in staff member may not do this."""


def may_use_workspace(account: StaffAccount) -> bool:
    return account.active and account.role in {
        Role.ADMINISTRATOR,
        Role.CITY_EDITOR,
        Role.TRANSLATOR,
    }


def may_manage_accounts(account: StaffAccount) -> bool:
    return account.role == Role.ADMINISTRATOR


def may_edit_city(account: StaffAccount, city_slug: str) -> bool:
    """Services, the Italian source and every translation of the city's services."""
    if account.role == Role.ADMINISTRATOR:
        return True
    return account.role == Role.CITY_EDITOR and city_slug in account.city_slugs


def may_translate(account: StaffAccount, language: str, city_slug: str) -> bool:
    if may_edit_city(account, city_slug):
        return True
    return (
        account.role == Role.TRANSLATOR
        and language != SOURCE_LANGUAGE
        and language in account.languages
    )


def may_see_city(account: StaffAccount, city_slug: str) -> bool:
    return account.role != Role.CITY_EDITOR or city_slug in account.city_slugs


def may_edit_services(account: StaffAccount) -> bool:
    """Services of some city (theirs, or every one): administrators and city editors."""
    return account.role in {Role.ADMINISTRATOR, Role.CITY_EDITOR}


def translation_languages(account: StaffAccount, supported: tuple[str, ...]) -> list[str]:
    """The languages, Italian (the source) aside, whose texts the account may translate."""
    return [
        code
        for code in supported
        if code != SOURCE_LANGUAGE and (may_edit_services(account) or code in account.languages)
    ]


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
