"""Where a webhook may go, and the one way the platform sends one. A callback URL is the caller's to
choose (a merchant's complaint webhook, an EPCIS subscription's `dest`), so it is a way to make the
platform send requests: it may only reach public addresses, or the networks an operator allows
(`CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS`, for a bonded zone's intranet). The host is resolved and checked
at each delivery, the request goes to the address that was checked (not to a second lookup an
attacker's DNS could answer differently), and redirects are not followed.

Shared by the domains that call out (complaints, traceability), so that none imports another's."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

TIMEOUT_SECONDS = 5.0


class DeliveryFailed(RuntimeError):
    """The endpoint did not take the delivery (the outbox retries it)."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Destinations:
    """Where a webhook may go: public (globally routable) addresses, plus the allowed networks."""

    allowed: tuple[str, ...] = ()

    @classmethod
    def from_setting(cls, networks: str) -> Destinations:
        """From CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS (comma-separated CIDRs)."""
        return cls(tuple(n.strip() for n in networks.split(",") if n.strip()))

    def permits(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in ipaddress.ip_network(n, strict=False) for n in self.allowed):
            return True
        return address.is_global and not address.is_multicast

    def refuse_literal(self, url: str) -> str | None:
        """Why a URL is refused when it is set, from what it says alone (its host is not resolved then:
        a name may not resolve from where the caller sets it, and it is checked at every delivery)."""
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            return f"not a URL: {exc}"
        if parts.scheme not in ("http", "https"):
            return "an http or https URL"
        host = parts.hostname or ""
        if not host:
            return "the URL names no host"
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            return f"{host} is not a public host: webhooks go to a public endpoint"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        if not self.permits(address):
            return f"{address} is not a public address: webhooks go to a public endpoint"
        return None

    def resolve(self, host: str, port: int) -> str:
        """One permitted address of the host, or DeliveryFailed naming why none is."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise DeliveryFailed(f"{host} does not resolve: {exc}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        refused = [a for a in addresses if not self.permits(a)]
        if refused or not addresses:
            # Every address must be permitted: a name that also points inside is refused as a whole.
            raise DeliveryFailed(f"{host} resolves to {refused[0] if refused else 'nothing'}: not permitted")
        return str(addresses[0])


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, with the certificate still verified for the host name."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def send(url: str, body: bytes, headers: dict[str, str], destinations: Destinations) -> int:
    """POST `body` to `url` at a checked address; its 2xx status, or DeliveryFailed (a redirect too:
    following it would let the endpoint point the platform anywhere)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host, https = parts.hostname or "", parts.scheme == "https"
        port = parts.port or (443 if https else 80)
    except ValueError as exc:  # an invalid port
        raise DeliveryFailed(f"{url} cannot be sent to: {exc}") from None
    refused = destinations.refuse_literal(url)
    if refused:
        raise DeliveryFailed(refused)
    address = destinations.resolve(host, port)
    conn: http.client.HTTPConnection
    headers = dict(headers)
    if https:
        conn = _PinnedHTTPS(address, host, port, TIMEOUT_SECONDS)
    else:
        conn = http.client.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
        headers["host"] = parts.netloc.rsplit("@", 1)[-1]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        status = conn.getresponse().status
    except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:
        # ValueError: a URL http.client cannot send (characters outside ASCII).
        raise DeliveryFailed(f"{url} unreachable: {exc}") from None
    finally:
        conn.close()
    if not 200 <= status < 300:
        raise DeliveryFailed(f"{url} answered {status}")
    return status
