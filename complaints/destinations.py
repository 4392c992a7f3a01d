"""Where a merchant's webhook may go. The URL is the merchant's to choose, so it is a way to make the
platform send requests: it may only reach public addresses, or the networks an operator allows
(`CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS`, for a bonded zone's intranet)."""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass


class DeliveryFailed(RuntimeError):
    """The merchant's endpoint did not take the delivery (the outbox retries it)."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Destinations:
    """Where a webhook may go: public (globally routable) addresses, plus the allowed networks."""

    allowed: tuple[str, ...] = ()

    def permits(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in ipaddress.ip_network(n, strict=False) for n in self.allowed):
            return True
        return address.is_global and not address.is_multicast

    def refuse_literal(self, url: str) -> str | None:
        """Why a URL is refused when it is set, from what it says alone (its host is not resolved then:
        a name may not resolve from where the merchant sets it, and it is checked at every delivery)."""
        host = urllib.parse.urlsplit(url).hostname or ""
        if not host:
            return "the URL names no host"
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            return f"{host} is not a public host: webhooks go to the merchant's public endpoint"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        if not self.permits(address):
            return f"{address} is not a public address: webhooks go to the merchant's public endpoint"
        return None

    def resolve(self, host: str, port: int) -> str:
        """One permitted address of the host, or DeliveryFailed naming why none is."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise DeliveryFailed(f"{host} does not resolve: {exc}") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        refused = [a for a in addresses if not self.permits(a)]
        if refused or not addresses:
            # Every address must be permitted: a name that also points inside is refused as a whole.
            raise DeliveryFailed(f"{host} resolves to {refused[0] if refused else 'nothing'}: not permitted")
        return str(addresses[0])
