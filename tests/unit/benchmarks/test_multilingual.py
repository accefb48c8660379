"""The multilingual stories benchmark scores clusterings as B-cubed defines."""

import pytest
from benchmarks.multilingual import bcubed, reports


def test_b_cubed_of_a_perfect_and_of_a_merged_clustering() -> None:
    gold = {"a1": "a", "a2": "a", "b": "b"}
    assert bcubed(dict(gold), gold) == (1.0, 1.0, 1.0)
    precision, recall, f1 = bcubed({"a1": "x", "a2": "x", "b": "x"}, gold)
    assert (precision, recall) == pytest.approx((5 / 9, 1.0))
    assert f1 == pytest.approx(2 * precision / (precision + 1))


def test_every_report_has_its_event() -> None:
    found = reports(unspaced=True)
    events = {name: event for name, event, _ in found}
    assert len(found) == len(events) == 60
    assert len(set(events.values())) == 42
    assert events["de_a1"] == events["de_a2"] != events["de_b"] != events["de_u"]
    assert events["quake_a_1"] == events["quake_a_2"] != events["quake_b"]
    assert events["fire_a_1"] == events["fire_a_2"] != events["fire_b"]
    assert all(text.strip() for _, _, text in found)


def test_the_korean_set_adds_four_kinds_of_event_with_their_reports() -> None:
    found = reports(unspaced=True, korean=True)
    events = {name: event for name, event, _ in found}
    assert len(found) == len(events) == 72
    assert len(set(events.values())) == 42 + 8
    assert events["ko-quake_a1"] == events["ko-quake_a2"] != events["ko-quake_b"]
    assert events["ko-quake_b"] != events["quake_b"]  # the Burmese quake
