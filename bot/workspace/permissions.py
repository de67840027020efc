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


def editable_languages(account: StaffAccount, supported: tuple[str, ...]) -> list[str]:
    if account.role in {Role.ADMINISTRATOR, Role.CITY_EDITOR}:
        return list(supported)
    return [code for code in supported if code in account.languages and code != SOURCE_LANGUAGE]


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
