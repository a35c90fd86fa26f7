"""Answers to the exercises of the purchase-prediction chapter (``check("purchase.<name>", answer)``)."""
from __future__ import annotations

import numpy as np

from ..exercises import Expect


def _posterior_view_cart() -> float:
    # default process; prefix: view in category 0, then cart in category 0, cut at the very end (horizon=0)
    from ..data.purchase import generate_purchase_sessions

    d = generate_purchase_sessions(n_users=10, seed=0, horizon=0)
    return float(d.posterior(np.array([[1, 2]]), np.array([[1, 1]]))[0])


def _check_posterior(answer):
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return False, f"expected a probability, got {type(answer).__name__}"
    want = _posterior_view_cart()
    if abs(a - want) < 1e-4:
        return True, ""
    return False, ("not the expected value. Hint: filter the intent (prior of category 0, times the view "
                   "likelihood; one transition; times cart and 'same category' likelihoods; normalise), "
                   "then average buy_prob over the intent")


def _check_recency(answer):
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return False, f"expected a test ROC-AUC (a number), got {type(answer).__name__}"
    # the chapter's data (n_users=5000, seed 0, split seed 0): bag-of-events LR 0.687, oracle 0.803 (test)
    if a > 0.83:
        return False, "above the oracle's test AUC (0.803): check that you fit on train and score on test"
    if a < 0.72:
        return False, "not yet clearly above the bag of events (0.687); add features of the LAST events"
    return True, ""


ANSWERS = {
    "recurrent_mask_draws": Expect(32, hint="one mask per sequence, one entry per hidden unit, reused at every step"),
    "posterior_view_cart": _check_posterior,
    "recency_features": _check_recency,
}
