"""The two appendices' helpers: recorded results rendered whole, errata checked and grouped by chapter."""
import json
import pkgutil

import numpy as np
import pytest

from companion import errata, results
from companion.errata import Erratum


# --- recorded results -------------------------------------------------------------------------------

def test_flatten_keeps_every_leaf():
    tree = {"auc": 0.8, "test": {"hit@10": 0.1, "by seed": {"0": 1, "1": 2}}, "curve": [0.1, 0.2],
            "runs": [{"a": 1}, {"a": 2}], "empty": {}}
    rows = dict(results.flatten(tree))
    assert rows == {"auc": 0.8, "test / hit@10": 0.1, "test / by seed / 0": 1, "test / by seed / 1": 2,
                    "curve": [0.1, 0.2], "runs / 0 / a": 1, "runs / 1 / a": 2, "empty": {}}
    with pytest.raises(ValueError, match="dict of metrics"):
        results.flatten(3.0)


def test_format_value():
    assert results.format_value(0.123456) == "0.1235"
    assert results.format_value(12345.678) == "12345.7"
    assert results.format_value([1, 0.5]) == "[1, 0.5000]"
    assert results.format_value(True) == "true" and results.format_value(None) == "null"
    with pytest.raises(TypeError, match="cannot format"):
        results.format_value(object())


@pytest.mark.parametrize("name", results.available(directory=results.PACKAGE_DIR))
def test_render_prints_every_shipped_metric(name):
    r = results.load(name, directory=results.PACKAGE_DIR)
    text = results.render(r, width=120)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 120
    assert r["device"] in text and r["date"] in text and r["commit"] in text
    assert "protocol: not recorded" not in text
    for path, value in results.flatten(r["metrics"]):
        assert any(line.startswith(f"  {path}  ") or line.startswith(f"  {path} ") for line in lines), path


def test_render_long_values_wrap_and_protocol(tmp_path):
    path = results.record("demo_render", {"curve": [0.123456] * 60, "nested": {"x": 1}}, {"lr": 0.001},
                          device="test", directory=tmp_path, protocol="a test protocol")
    r = json.loads(path.read_text())
    assert r["protocol"] == "a test protocol"
    text = results.render(r, width=80)
    assert max(map(len, text.splitlines())) <= 80 and "protocol: a test protocol" in text
    assert "nested / x" in text and text.count("0.1235") == 60
    no_protocol = results.record("demo_plain", {"x": 1.0}, device="test", directory=tmp_path)
    assert "protocol" not in json.loads(no_protocol.read_text())  # the old payload is unchanged
    assert "protocol: not recorded" in results.render(json.loads(no_protocol.read_text()))
    with pytest.raises(ValueError, match="protocol"):
        results.record("demo_bad", {}, device="test", directory=tmp_path, protocol="  ")
    with pytest.raises(ValueError, match="recorded result"):
        results.render({"x": 1})


# --- errata -----------------------------------------------------------------------------------------

ENTRIES = errata.all_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.topic}:{e.source}:{e.what[:30]}" for e in ENTRIES])
def test_every_entry_is_shown_wrong_by_a_computation(entry):
    assert errata.verify(entry) is True


def test_verify_can_fail():
    right = Erratum("x", "t", "1 + 1", 2.0, lambda: 2.0, "none")
    assert errata.verify(right) is False                       # printed equals computed: the source is right
    assert errata.verify(Erratum("x", "t", "w", [0.1, 0.2], lambda: [0.1, 0.2001], "")) is False
    assert errata.verify(Erratum("x", "t", "w", [0.1, 0.2], lambda: [0.1, 0.3], "")) is True
    assert errata.verify(Erratum("x", "t", "w", "text", lambda: "other", "")) is None
    assert errata.verify(Erratum("x", "t", "w", "text", lambda: "other", "", check=lambda: False)) is False


def test_every_topic_module_is_collected():
    modules = {m.name for m in pkgutil.iter_modules(errata.__path__) if not m.name.startswith("_")}
    for name in modules:
        mod = __import__(f"companion.errata.{name}", fromlist=["ENTRIES"])
        assert set(map(id, mod.ENTRIES)) <= set(map(id, ENTRIES)), name


def test_by_chapter_groups_and_orders():
    groups = errata.by_chapter(ENTRIES)
    assert list(groups) == sorted(groups)
    assert sum(map(len, groups.values())) == len(ENTRIES)
    for chapter, group in groups.items():
        assert {e.chapter for e in group} == {chapter}
        assert [e.source[:3] for e in group] == sorted(e.source[:3] for e in group)


def test_chapter_display_links_and_fits_in_120_columns():
    chapter, group = next(iter(errata.by_chapter(ENTRIES).items()))
    shown = errata.ChapterErrata(chapter, group, title="Title")
    assert shown.markdown().startswith(f"### [Title]({chapter}.ipynb)")
    for text in (shown.text(), shown.markdown()):
        assert max(map(len, text.splitlines())) <= 120
    assert repr(shown) == shown.text() and shown._repr_markdown_() == shown.markdown()
    assert all(e.why.split()[0] in shown.text() for e in group)


def test_table_shows_why_whole():
    from companion.errata import rnn

    t = errata.table([e for e in rnn.ENTRIES if e.topic == "rnn"])
    longest = max((e.why for e in rnn.ENTRIES if e.topic == "rnn"), key=len)
    assert longest in repr(t) and longest in t._repr_html_() and longest in repr(t[["source", "why"]])
    assert isinstance(t[["source", "why"]], errata.ErrataTable)
    assert list(errata.table(rnn.ENTRIES[:2], checked=True)["check"]) == ["source wrong"] * 2


def test_clipping_bounds_only_large_gradients():
    from companion.errata.rnn import clipping_effect

    e = clipping_effect(T=20, clip=1.0)
    assert e["vanishing"]["after"] == e["vanishing"]["before"] == pytest.approx(np.sqrt(2) * 0.5 ** 20)
    assert e["exploding"]["after"] == pytest.approx(1.0) and e["exploding"]["before"] == pytest.approx(np.sqrt(2) * 2 ** 20)


def test_recent_counts_and_window_auc():
    from companion.data import generate_purchase_sessions
    from companion.data.purchase import recent_counts, window_validation_auc

    ev, ca = np.array([[0, 1, 2, 1]]), np.array([[0, 1, 3, 3]])
    assert recent_counts(ev, ca, 3, 2).tolist() == [[1, 1, 0, 0, 2]]
    assert recent_counts(ev, ca, 3, 4).tolist() == [[2, 1, 1, 0, 2]]
    with pytest.raises(ValueError, match="longer than"):
        recent_counts(ev, ca, 3, 5)
    with pytest.raises(ValueError, match="same shape"):
        recent_counts(ev, ca[:, 1:], 3, 2)
    data = generate_purchase_sessions(n_users=400, seed=1)
    auc = window_validation_auc(data, windows=[1, 12])
    assert list(auc.index) == [1, 12] and auc.between(0, 1).all()
    with pytest.raises(ValueError, match="at least one window"):
        window_validation_auc(data, windows=[])
