"""Learning's modules import each other one way (issue 14: the ledger posting left heartbeat.py, so playstate no
longer needs it), and the playback state's stored form is PlayState's alone."""

from jxjy.learning import playstate
from jxjy.learning.playstate import PlayState
from jxjy.tests_architecture.test_layering import PACKAGE, _is_test, find_cycle, imported_modules

APP = PACKAGE / "learning"


def module_graph() -> dict[str, set[str]]:
    """learning's product modules → the learning modules each imports (wherever the import stands)."""
    modules = {path.stem: path for path in APP.glob("*.py") if not _is_test(path)}
    edges = {}
    for name, path in modules.items():
        imported = {module.split(".")[2] for module, _ in imported_modules(path) if module.startswith("jxjy.learning.")}
        edges[name] = {target for target in imported if target in modules and target != name}
    return edges


def test_learning_modules_form_no_circle():
    edges = module_graph()
    assert "heartbeat" not in edges["playstate"]
    assert find_cycle(edges) is None, "a circle between learning's modules: " + " → ".join(find_cycle(edges))


def state(**changes) -> PlayState:
    values = dict(
        session="s",
        enrollment=1,
        courseware=2,
        duration=300.0,
        seq=3,
        beat_at=1.5,
        last_position=15.0,
        budget=2.0,
        playing=True,
        progress=4,
        version=5,
        intervals=[[0.0, 15.0]],
        credited=15.0,
        position=15.0,
        finished=None,
        gates=[[7, 120.0]],
        opened=True,
    )
    return PlayState(**{**values, **changes})


def test_a_play_state_is_stored_with_short_keys_and_read_back_whole():
    original = state()
    raw = original.to_json()
    assert raw.startswith('{"sid":"s","e":1,"c":2,"d":300.0,') and " " not in raw
    assert PlayState.from_json(raw) == original


def test_a_stored_value_of_another_shape_is_no_state():
    raw = state().to_json()
    assert playstate._decode(raw.replace('"iv":', '"intervals":')) is None  # a key missing
    assert playstate._decode("[1, 2]") is None and playstate._decode("not json") is None
    assert playstate._decode(raw.replace(',"opened":true', "")).opened is False  # older values had no flag
