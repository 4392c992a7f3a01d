"""Intake's shared fixtures: an agency's receiver on loopback (distribution's tests), and the shell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.receiver import Receiver
from tests.traceability.conftest import cli, flow  # noqa: F401 - the CLI on the test's database; a merchant's flow


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made = [Receiver() for _ in range(4)]
    yield made
    for r in made:
        r.close()
