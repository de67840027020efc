"""What every request and response of the app goes through: who the client is (behind a
trusted reverse proxy), security headers on every response, and the origin check of
WebSocket upgrades.

Client addresses: `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the
connection comes from a configured trusted proxy (`TRUSTED_PROXIES`); the client is then the
right-most address of the chain that is not itself a trusted proxy. From anyone else the
headers are ignored, so a client cannot pick its own address to escape a limit.
(aiohttp-remotes was considered: its `XForwardedFiltered` reads the header from any peer,
and `XForwardedStrict` refuses requests whose proxy chain is shorter than configured.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from aiohttp import hdrs, web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
}


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: str | None, networks: Sequence[Network]) -> bool:
    parsed = _address(address or "")
    return parsed is not None and any(parsed in network for network in networks)


def client_address(peer: str | None, forwarded_for: str, networks: Sequence[Network]) -> str:
    """The client's address: the peer's, or from a trusted proxy's X-Forwarded-For."""
    if not forwarded_for or not _trusted(peer, networks):
        return peer or ""
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    if any(_address(hop) is None for hop in hops):
        return peer or ""  # a malformed chain: believe nothing in it
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0]


def forwarding_middleware(
    trusted_proxies: Sequence[str],
) -> Callable[..., Awaitable[web.StreamResponse]]:
    networks = parse_networks(trusted_proxies)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not networks or not _trusted(request.remote, networks):
            return await handler(request)
        overrides: dict[str, str] = {}
        forwarded_for = ",".join(request.headers.getall(hdrs.X_FORWARDED_FOR, []))
        if forwarded_for:
            overrides["remote"] = client_address(request.remote, forwarded_for, networks)
        proto = request.headers.get(hdrs.X_FORWARDED_PROTO, "").split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            overrides["scheme"] = proto
        return await handler(request.clone(**overrides) if overrides else request)  # type: ignore[arg-type]

    return middleware


async def add_security_headers(_: web.Request, response: web.StreamResponse) -> None:
    """On every response, static files and errors included (`on_response_prepare`)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def own_origins(request: web.Request, public_url: str | None) -> set[str]:
    origins = {f"{request.scheme}://{request.host}"}
    if public_url:
        parts = urlsplit(public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return {origin.lower() for origin in origins}


def require_same_origin(request: web.Request, public_url: str | None) -> None:
    """A WebSocket upgrade must come from a page of this app (cross-site hijacking)."""
    origin = request.headers.get(hdrs.ORIGIN, "").lower()
    if origin not in own_origins(request, public_url):
        raise web.HTTPForbidden(text="this page may not open the console's live updates")
