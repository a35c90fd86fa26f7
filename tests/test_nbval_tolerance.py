"""The numeric-aware nbval comparison (tests/nbval_tolerance.py): what passes, what must fail."""
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from nbval_tolerance import Tolerance, first_difference, parse_marker, split_numbers, unit_of

ROOT = Path(__file__).resolve().parents[1]


def same(stored, computed, tolerance=Tolerance()):
    return first_difference(stored, computed, tolerance) is None


@pytest.mark.parametrize("stored, computed", [
    ("0.018", "0.019"),                 # one unit in the last digit
    ("MAE 356.327", "MAE 356.328"),
    ("6.182", "6.181"),
    ("-0.001", "0.000"),                # crossing zero
    ("-0.000", "0.000"),
    ("epoch 32", "epoch 33"),           # integers: one unit
    ("2.5e-03", "2.6e-03"),             # unit of an exponent form is 1e-04
    ("0.999", "1.000"),
    ("9.99", "10.0"),                   # width grows: the coarser unit counts
    ("Hit@10 0.050", "Hit@10 0.051"),
    ("x  0.000\ny  0.250", "x -0.001\ny  0.250"),  # spacing re-aligns when a number gets wider
    ("<td>0.018</td>", "<td>0.019</td>"),   # pandas HTML
])
def test_one_unit_in_the_last_digit_passes(stored, computed):
    assert same(stored, computed)


@pytest.mark.parametrize("stored, computed", [
    ("0.018", "0.021"),                 # three units
    ("0.018", "0.020"),                 # two units
    ("MAE 356.327", "MAE 356.329"),
    ("2.4e-06", "1.9e-06"),             # round-off printed as digits is not portable
    ("4.5e-08", "6.0e-08"),
    ("accuracy 0.380", "recall 0.380"), # a changed word
    ("tie", "win"),
    ("0.5 0.5", "0.5"),                 # a number missing
    ("0.5", "0.5 extra"),
    ("ab", "a b"),                      # spacing inside text is text
    ("True", "False"),
    ("ml-100k", "ml-200k"),             # digits inside a word are text
    ("float32", "float31"),
    ("<td>0.018</td>", "<td>0.021</td>"),
])
def test_more_than_one_unit_or_changed_text_fails(stored, computed):
    assert not same(stored, computed)


def test_the_reason_names_the_number():
    why = first_difference("NDCG@10 0.018", "NDCG@10 0.021")
    assert "0.018" in why and "0.021" in why


def test_declared_tolerance_widens_only_what_it_says():
    assert same("0.018", "0.021", Tolerance(abs=Decimal("0.005")))
    assert not same("0.018", "0.030", Tolerance(abs=Decimal("0.005")))
    assert same("100.0", "101.5", Tolerance(rel=Decimal("0.02")))
    assert not same("100.0", "103.0", Tolerance(rel=Decimal("0.02")))
    assert not same("tie", "win", Tolerance(abs=Decimal("1")))


def test_units_and_tokens():
    assert unit_of("0.018") == Decimal("0.001")
    assert unit_of("2.4e-06") == Decimal("1e-07")
    assert unit_of("356") == 1
    pieces, numbers = split_numbers("x=-0.5, NDCG@10 0.06 on ml-100k at 2026-12-01 (1e-3)")
    assert numbers == ["-0.5", "10", "0.06", "2026", "12", "01", "1e-3"]
    assert "".join(p + n for p, n in zip(pieces, numbers + [""])) == (
        "x=-0.5, NDCG@10 0.06 on ml-100k at 2026-12-01 (1e-3)")


def test_marker_parsing():
    src = "# NBVAL_TOLERANCE abs=0.005 rel=0.01\n# trained for ten epochs: round-off grows\nprint(1)"
    assert parse_marker(src) == Tolerance(abs=Decimal("0.005"), rel=Decimal("0.01"))
    assert parse_marker("print(1)") is None
    with pytest.raises(ValueError, match="saying why"):
        parse_marker("# NBVAL_TOLERANCE abs=0.005\nprint(1)")
    with pytest.raises(ValueError, match="not a number"):
        parse_marker("# NBVAL_TOLERANCE abs=big\n# why")
    with pytest.raises(ValueError, match="abs=<number>"):
        parse_marker("# NBVAL_TOLERANCE\n# why")
    with pytest.raises(ValueError, match="expected"):
        parse_marker("# NBVAL_TOLERANCE tol=1\n# why")


def _cell(source, text):
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": source,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}


def test_nbval_uses_the_comparison_end_to_end(tmp_path):
    """A real nbval run: one-digit changes pass, bigger ones fail, the marker widens one cell."""
    cells = [
        _cell("print('MAE 356.328')", "MAE 356.327\n"),                       # 0 passes
        _cell("print('NDCG@10 0.021')", "NDCG@10 0.018\n"),                   # 1 fails
        _cell("# NBVAL_TOLERANCE abs=0.005\n# a trained metric\nprint('NDCG@10 0.021')",
              "NDCG@10 0.018\n"),                                             # 2 passes
        _cell("# NBVAL_TOLERANCE abs=0.005\n# a trained metric\nprint('NDCG@10 0.030')",
              "NDCG@10 0.018\n"),                                             # 3 fails
        _cell("print('recall 0.018')", "NDCG@10 0.018\n"),                    # 4 fails
        _cell("# NBVAL_TOLERANCE abs=0.005\nprint('0.018')", "0.018\n"),      # 5 fails: no reason
        _cell("import pandas as pd\nprint(pd.DataFrame({'a': [0.5 + 2e-3, -1e-4]}).round(3))",
              "       a\n0  0.501\n1  0.000\n"),                                   # 6 passes
    ]
    for i, cell in enumerate(cells, start=1):
        cell["execution_count"], cell["id"] = i, f"cell-{i}"
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
          "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "check.ipynb").write_text(json.dumps(nb))
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\npythonpath = {ROOT / 'tests'}\naddopts = -p no:cacheprovider -p nbval_tolerance\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "check.ipynb", "--nbval", "--nbval-current-env",
                          "-rA", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    outcome = {int(cell): result for result, cell in re.findall(r"^(PASSED|FAILED) check\.ipynb::Cell (\d+)",
                                                                 run.stdout, re.M)}
    assert outcome == {0: "PASSED", 1: "FAILED", 2: "PASSED", 3: "FAILED", 4: "FAILED", 5: "FAILED",
                       6: "PASSED"}, run.stdout[-4000:]
    assert "number stored 0.018, computed 0.021" in run.stdout
    assert "saying why" in run.stdout
