"""Small computations shared by the errata checks (parse a source's code, raise its error, measure
the optimism of a choice made on the test set). Framework-free."""
from __future__ import annotations

import ast
import builtins

import numpy as np


def names(code: str) -> tuple[set, set]:
    """``(loaded, bound)``: the names a snippet reads and the names it binds (assignments, imports,
    function and class names, parameters, loop targets)."""
    tree = ast.parse(code)
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return loaded, bound


def undefined(code: str) -> set:
    """Names a snippet reads that it never binds and that are not Python builtins."""
    loaded, bound = names(code)
    return loaded - bound - set(dir(builtins))


def unused(code: str) -> set:
    """Names a snippet binds and never reads."""
    loaded, bound = names(code)
    return bound - loaded


def raises(fn, *exceptions) -> bool:
    """``True`` when ``fn()`` raises one of ``exceptions``."""
    try:
        fn()
    except exceptions:
        return True
    return False


def selection_optimism(n_models: int = 100, n: int = 200, seed: int = 0) -> tuple[float, float]:
    """Choose among ``n_models`` predictors that are pure noise by their accuracy on a "test" set, as
    ``validation_data=(X_test, y_test)`` plus re-tuning does; return ``(accuracy of the choice on that
    set, its accuracy on fresh data)``: the first is optimistic, the second is the truth (about 0.5)."""
    rng = np.random.default_rng(seed)
    y_test, y_fresh = rng.integers(0, 2, n), rng.integers(0, 2, n)
    preds_test, preds_fresh = rng.integers(0, 2, (n_models, n)), rng.integers(0, 2, (n_models, n))
    acc = (preds_test == y_test).mean(1)
    best = int(acc.argmax())
    return float(acc[best]), float((preds_fresh[best] == y_fresh).mean())


def optimistic() -> bool:
    """The choice made on the test set scores at least 0.05 better there than on fresh data."""
    on_test, fresh = selection_optimism()
    return on_test - fresh > 0.05
