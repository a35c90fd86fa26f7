"""Source 003 §9.4's evaluation metrics for recommenders (chapter 01: data, splits and metrics)."""
from __future__ import annotations

import numpy as np

from . import Erratum

CHAPTER = "01_behavior_data"

#: 100 examples with 4 positives (a rare event, as purchases are): 8 predicted positive, 2 of them right.
Y_TRUE = np.r_[np.ones(4, int), np.zeros(96, int)]
Y_PRED = np.r_[1, 1, 0, 0, np.ones(6, int), np.zeros(90, int)]


def f1_values() -> dict:
    """F1 by scikit-learn, the harmonic mean of precision and recall, and the source's harmonic mean
    of accuracy and recall, on :data:`Y_TRUE` / :data:`Y_PRED`."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    p, r, a = (precision_score(Y_TRUE, Y_PRED), recall_score(Y_TRUE, Y_PRED), accuracy_score(Y_TRUE, Y_PRED))
    return {"f1": f1_score(Y_TRUE, Y_PRED), "harmonic(precision, recall)": 2 * p * r / (p + r),
            "harmonic(accuracy, recall)": 2 * a * r / (a + r)}


def _f1_from_accuracy_is_wrong() -> bool:
    v = f1_values()
    return (abs(v["f1"] - v["harmonic(precision, recall)"]) < 1e-12
            and abs(v["f1"] - v["harmonic(accuracy, recall)"]) > 0.05)


def ranking_vs_errors() -> dict:
    """Two score vectors for the same five items that rank them identically (the second is the first
    cubed): NDCG@3 (scikit-learn) is the same, MSE and MAE against the 0/1 relevance are not."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, ndcg_score

    rel = np.array([0, 1, 0, 0, 1])
    a = np.array([0.1, 0.9, 0.7, 0.2, 0.6])
    b = a ** 3
    return {name: {"ndcg@3": ndcg_score([rel], [s], k=3), "mse": mean_squared_error(rel, s),
                   "mae": mean_absolute_error(rel, s)} for name, s in (("scores", a), ("scores cubed", b))}


def _errors_are_not_ranking_metrics() -> bool:
    v = ranking_vs_errors()
    a, b = v["scores"], v["scores cubed"]
    return abs(a["ndcg@3"] - b["ndcg@3"]) < 1e-12 and abs(a["mse"] - b["mse"]) > 0.01 and abs(a["mae"] - b["mae"]) > 0.01


def _f1_text() -> str:
    v = f1_values()
    return (f"F1 = 2PR / (P + R), the harmonic mean of precision and recall: here {v['f1']:.3f}; "
            f"the harmonic mean of accuracy and recall gives {v['harmonic(accuracy, recall)']:.3f}")


def _ranking_text() -> str:
    v = ranking_vs_errors()
    return ("ranking metrics on held-out items (Hit@K, which equals Recall@K with one target; NDCG@K; MRR@K): "
            f"two scorings with the same ranking have NDCG@3 {v['scores']['ndcg@3']:.3f} both, "
            f"but MSE {v['scores']['mse']:.3f} vs {v['scores cubed']['mse']:.3f}")


ENTRIES = [
    Erratum("003 §9.4", "data", "\"F1分数：准确率和召回率的调和平均值\" (F1 = harmonic mean of accuracy and recall)",
            "harmonic mean of accuracy and recall", _f1_text,
            "F1 combines precision and recall; accuracy counts true negatives, which F1 is designed to ignore",
            CHAPTER, check=_f1_from_accuracy_is_wrong),
    Erratum("003 §9.4", "data", "accuracy, MSE and MAE offered as recommender metrics",
            "MSE / MAE to evaluate a recommender", _ranking_text,
            "a recommender is judged by where the held-out item lands in its ranked list; MSE and MAE change "
            "under a rescaling of the scores that leaves every ranking (and what the user sees) unchanged",
            CHAPTER, check=_errors_are_not_ranking_metrics),
]
