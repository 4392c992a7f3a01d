"""The app's state: Starlette's State, each value also an ordinary attribute (api.app_state)."""

import pytest
from starlette.datastructures import State

from api.app_state import AppState


def test_app_state_reads_as_starlettes_state():
    ours, theirs = AppState(), State()
    for state in (ours, theirs):
        state.limiter = "first"
        state["other"] = 1
        state.limiter = "second"  # replaced, as the tests swap the rate limiter
        del state["other"]
    assert (ours.limiter, ours["limiter"], len(ours), list(ours)) == (
        theirs.limiter,
        theirs["limiter"],
        len(theirs),
        list(theirs),
    )
    assert "limiter" in ours.__dict__  # read as an ordinary attribute, not through __getattr__
    del ours.limiter
    with pytest.raises(AttributeError, match="'AppState' object has no attribute 'limiter'"):
        _ = ours.limiter
    with pytest.raises(AttributeError):
        _ = ours.other
    assert len(ours) == 0
