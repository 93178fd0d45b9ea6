"""The cache and the recorded results: the cache wins, the record fills in, nothing stale is
read."""

import json

import pytest

from qtlib.utils import cache
from qtlib.utils.cache import json_cache_path, read_cached, record_cache, write_json_atomic


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QTLIB_IGNORE_RECORDED", raising=False)
    recorded = tmp_path / "recorded"
    monkeypatch.setattr(cache, "RECORDED_DIR", recorded)
    return tmp_path / "cache", recorded


def test_read_cached_prefers_the_cache_then_the_record(dirs):
    _, recorded = dirs
    path = json_cache_path("sweeps/demo", {"point": 1})
    assert read_cached(path) == (None, None)
    (recorded / "sweeps/demo").mkdir(parents=True)
    write_json_atomic(recorded / "sweeps/demo" / path.name, {"figure": 2})
    assert read_cached(path) == ({"figure": 2}, "recorded")
    write_json_atomic(path, {"figure": 3})
    assert read_cached(path) == ({"figure": 3}, "cache")


def test_a_record_of_other_settings_is_never_read(dirs):
    _, recorded = dirs
    made = json_cache_path("sweeps/demo", {"point": 1, "torch": "2.12"})
    (recorded / "sweeps/demo").mkdir(parents=True)
    write_json_atomic(recorded / "sweeps/demo" / made.name, {"figure": 2})
    wanted = json_cache_path("sweeps/demo", {"point": 1, "torch": "2.13"})
    assert read_cached(wanted) == (None, None)


def test_ignore_recorded_while_making_a_record(dirs, monkeypatch):
    _, recorded = dirs
    path = json_cache_path("ns", {"a": 1})
    recorded.joinpath("ns").mkdir(parents=True)
    write_json_atomic(recorded / "ns" / path.name, {"figure": 2})
    monkeypatch.setenv("QTLIB_IGNORE_RECORDED", "1")
    assert read_cached(path) == (None, None)


def test_record_cache_copies_a_namespace_and_replaces_the_old_record(dirs, tmp_path):
    source, recorded = dirs
    old = recorded / "sweeps/demo" / "stale.json"
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    new = json_cache_path("sweeps/demo", {"point": 7})
    write_json_atomic(new, {"figure": 7})
    written = record_cache(["sweeps/demo"], source, dest=recorded)
    assert [p.name for p in written] == [new.name] and not old.exists()
    assert json.loads((recorded / "sweeps/demo" / new.name).read_text()) == {"figure": 7}
    with pytest.raises(FileNotFoundError, match="QTLIB_CACHE_DIR"):
        record_cache(["sweeps/none"], source, dest=recorded)
