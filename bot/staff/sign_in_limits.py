"""Limits on failed sign-ins that slow an attacker down without locking colleagues out.

- Per (username, client address): the first `free_attempts` failures cost nothing; then
  every attempt must wait a delay that doubles (2 s, 4 s, 8 s … up to 15 minutes), and an
  attempt made while waiting counts as one more failure. Someone else's wrong passwords,
  from another address, never delay a person.
- Per client address, whatever the username: a much higher ceiling of failures in 15
  minutes (a whole office behind one router stays in; a password sprayer does not).
- A success ends the streak of that (username, address).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.limits import Limits

FIRST_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 15 * 60.0
ADDRESS_WINDOW_SECONDS = 15 * 60.0
FORGET_STREAK_SECONDS = 60 * 60.0


def delay_after(failures: int, free_attempts: int) -> float:
    """Seconds to wait after `failures` failures in a row."""
    if failures < free_attempts:
        return 0.0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2.0 ** (failures - free_attempts))


@dataclass(frozen=True)
class SignInLimiter:
    limits: Limits
    free_attempts: int = 5
    address_ceiling: int = 100

    async def wait_seconds(self, username: str, address: str) -> float:
        """0 when this (username, address) may try now; else the seconds to wait."""
        streak = await self.limits.streak(_pair(username, address))
        if delay_after(streak.count, self.free_attempts) > streak.age:
            await self.limits.extend_streak(_pair(username, address), FORGET_STREAK_SECONDS)
            streak = await self.limits.streak(_pair(username, address))
            return delay_after(streak.count, self.free_attempts)
        failures = await self.limits.count(_address(address), ADDRESS_WINDOW_SECONDS)
        if failures >= self.address_ceiling:
            return ADDRESS_WINDOW_SECONDS / 4
        return 0.0

    async def failed(self, username: str, address: str) -> float:
        """Record a wrong password; the delay before the next attempt."""
        streak = await self.limits.extend_streak(_pair(username, address), FORGET_STREAK_SECONDS)
        await self.limits.add(_address(address), ADDRESS_WINDOW_SECONDS)
        return delay_after(streak.count, self.free_attempts)

    async def succeeded(self, username: str, address: str) -> None:
        await self.limits.end_streak(_pair(username, address))


def _pair(username: str, address: str) -> str:
    return f"sign-in:{username.strip().lower()}:{address}"


def _address(address: str) -> str:
    return f"sign-in-address:{address}"
