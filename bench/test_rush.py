"""The rush's own arithmetic (bench/_rush_client.py, bench/_flush_lag.py): the mix it sends and the flush lag it
reports. No server, database or Redis: the load itself is run by `make bench-rush`."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest.importorskip("aiohttp")

import _flush_lag  # noqa: E402
import _rush_client as mix  # noqa: E402
import steady_client as base  # noqa: E402


def cast(watchers: int) -> mix.Cast:
    people = [base.Learner(i, i, 1, f"s{i}", "c") for i in range(watchers)]
    return mix.Cast(people, {}, [mix.Sitter(people[0], 1, [1])], [mix.Payer(people[0], "N1")])


def test_the_mix_is_four_fifths_heartbeats_at_the_fixed_rate():
    """40 req/s with 80 % heartbeats: 480 watchers at one beat per 15 s, the rest spread evenly between them."""
    events = mix.schedule(cast(480), other_rate=7.8, pay_rate=0.1, interval=15, seconds=60)
    kinds = [what for _, what, _ in events]
    assert kinds.count("beat") == 480 * 4
    assert kinds.count("other") == round(7.8 * 60)
    assert kinds.count("pay") == 6
    assert kinds.count("beat") / len(events) == pytest.approx(0.8, abs=0.01)
    assert [t for t, _, _ in events] == sorted(t for t, _, _ in events)
    assert max(t for t, _, _ in events) < 60


def test_each_watcher_beats_once_an_interval():
    events = mix.schedule(cast(3), other_rate=0, pay_rate=0, interval=15, seconds=45)
    for i in range(3):
        times = [t for t, what, index in events if what == "beat" and index == i]
        assert [b - a for a, b in zip(times, times[1:], strict=False)] == [15, 15]


def test_the_rotation_holds_every_kind_by_its_weight():
    assert len(mix.ROTATION) == sum(weight for _, weight in mix.MIX)
    for kind, weight in mix.MIX:
        assert mix.ROTATION.count(kind) == weight


def test_lag_is_the_age_of_the_oldest_unwritten_state():
    """A learner who beats again before the flush keeps the first unwritten state's time: that is the lag."""
    unwritten = {}
    assert _flush_lag.oldest_unwritten(unwritten, {7: (70, 100.0, 15.0)}, {70: 0.0}) == 100.0
    assert _flush_lag.oldest_unwritten(unwritten, {7: (70, 115.0, 30.0)}, {70: 0.0}) == 100.0
    # The flush wrote the first state only: the second is now the oldest unwritten.
    assert _flush_lag.oldest_unwritten(unwritten, {7: (70, 115.0, 30.0)}, {70: 15.0}) == 115.0
    # Everything written: no lag.
    assert _flush_lag.oldest_unwritten(unwritten, {7: (70, 115.0, 30.0)}, {70: 30.0}) is None


def test_lag_takes_the_oldest_over_learners():
    states = {1: (10, 200.0, 5.0), 2: (20, 190.0, 5.0), 3: (30, 150.0, 5.0)}
    assert _flush_lag.oldest_unwritten({}, states, {10: 0.0, 20: 0.0, 30: 5.0}) == 190.0
