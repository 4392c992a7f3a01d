"""The OpenAPI document's promise, checked on every answer a test client sees: the status an operation
answers is one the document lists for it (schemathesis's `status_code_conformance`, for the answers the
fuzz cannot reach: a repeated grant, a replayed declaration, a second shipment)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Undocumented:
    method: str
    path: str
    template: str
    status: int
    documented: list[str]

    def __str__(self) -> str:
        return (
            f"{self.method} {self.template} answered {self.status}; documented: {', '.join(self.documented)}"
        )


@dataclass
class Documented:
    doc: dict[str, Any]
    seen: list[Undocumented] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Static segments before parameters: /epcis/events/{id} must not take /epcis/eventTypes.
        self._templates = sorted(
            (
                (
                    template.count("{"),
                    re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"),
                    template,
                )
                for template in self.doc["paths"]
            ),
            key=lambda t: t[0],
        )

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for _, pattern, template in self._templates:
            if pattern.match(path) and method.lower() in self.doc["paths"][template]:
                return template, self.doc["paths"][template][method.lower()]
        return None

    def check(self, method: str, path: str, status: int) -> None:
        found = self.operation(method, path)
        if found is None:
            return  # not an operation of the document (a page, a test's own route, OPTIONS)
        template, op = found
        documented = list(op["responses"])
        if "default" in documented or str(status) in documented or f"{status // 100}XX" in documented:
            return
        self.seen.append(Undocumented(method.upper(), path, template, status, documented))

    def hook(self, response: httpx.Response) -> None:
        self.check(response.request.method, response.request.url.path, response.status_code)

    def watch(self, client: httpx.Client) -> httpx.Client:
        client.event_hooks["response"] = [*client.event_hooks["response"], self.hook]
        return client

    def assert_none(self) -> None:
        assert not self.seen, "\n".join(str(u) for u in self.seen)
