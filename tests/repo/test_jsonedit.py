from __future__ import annotations

import json

from skillport_build.repo.jsonedit import append_to_array, set_value

FOUR_SPACES = '{\n    "name": "x",\n    "plugins": [\n        {"name": "a"}\n    ]\n}\n'


def test_append_keeps_everything_else_byte_for_byte() -> None:
    out = append_to_array(FOUR_SPACES, "/plugins", {"name": "b"})
    assert out.startswith('{\n    "name": "x",\n    "plugins": [\n        {"name": "a"},\n')
    assert '        {\n            "name": "b"\n        }\n    ]\n}\n' in out
    assert json.loads(out)["plugins"] == [{"name": "a"}, {"name": "b"}]


def test_append_to_an_empty_array() -> None:
    out = append_to_array('{\n  "plugins": []\n}\n', "/plugins", {"name": "b"})
    assert json.loads(out) == {"plugins": [{"name": "b"}]}
    assert out == '{\n  "plugins": [\n    {\n      "name": "b"\n    }\n  ]\n}\n'


def test_set_value_touches_only_that_value() -> None:
    out = set_value(FOUR_SPACES, "/plugins/0/name", "z")
    assert out == FOUR_SPACES.replace('"a"', '"z"')
