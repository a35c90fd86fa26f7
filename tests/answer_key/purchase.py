"""Chapter 4 (purchase prediction)."""
import numpy as np

from . import Exercise


def recurrent_mask_draws():
    return 32


def posterior_view_cart():
    from companion.data import generate_purchase_sessions

    d = generate_purchase_sessions(n_users=10, seed=0, horizon=0)
    return float(d.posterior(np.array([[1, 2]]), np.array([[1, 1]]))[0])


def recency_features():  # retired: the chapter's results table now has this model
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from companion.data import generate_purchase_sessions

    data = generate_purchase_sessions(n_users=5000, seed=0)
    split = data.split(fractions=(0.7, 0.15, 0.15), seed=0)
    tr, te = split["train"], split["test"]
    events, cats = data.arrays()
    y = data.prefixes["label"].to_numpy()
    bag = data.bag_of_events().to_numpy()
    last = events[:, -1] == 2
    last3 = (events[:, -3:] == 2).sum(1)
    same = (cats[:, -1] == cats[:, -2]) & (cats[:, -2] > 0)
    first = cats[np.arange(len(cats)), (cats == 0).sum(1)]
    X = np.c_[bag, last, last3, same, np.eye(data.n_categories + 1)[first]]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X[tr], y[tr])
    return roc_auc_score(y[te], model.predict_proba(X[te])[:, 1])


def recent_window():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from companion.data import generate_purchase_sessions

    data = generate_purchase_sessions(n_users=5000, seed=0)
    split = data.split(fractions=(0.7, 0.15, 0.15), seed=0)
    tr, va = split["train"], split["valid"]
    events, cats = data.arrays()
    y = data.prefixes["label"].to_numpy()
    auc = {}
    for w in range(1, data.max_len + 1):
        e, c = events[:, -w:], cats[:, -w:]   # left-padded: the last w columns are the last w events
        X = np.column_stack([(e == 1).sum(1), (e == 2).sum(1)] + [(c == j + 1).sum(1) for j in range(data.n_categories)])
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X[tr], y[tr])
        auc[w] = roc_auc_score(y[va], model.predict_proba(X[va])[:, 1])
    return max(auc, key=auc.get)


EXERCISES = [
    Exercise("purchase.recurrent_mask_draws", "draws of a variational recurrent mask", recurrent_mask_draws,
             kind="exact", hint="one mask per sequence, one entry per hidden unit, reused at every step",
             wrong=(384, 12)),
    Exercise("purchase.posterior_view_cart", "the posterior by hand", posterior_view_cart, tol=1e-4,
             hint="filter the intent (prior of category 0 times the view likelihood; one transition; times the "
                  "cart and 'same category' likelihoods; normalise), then average buy_prob over the intent",
             difficulty="***"),
    Exercise("purchase.recency_features", "give the counts some order (retired)", recency_features, kind="property",
             check="recency_features", hint="features of the last events: is the last one a cart, carts among "
             "the last three, does the category repeat", difficulty="***", wrong=(0.687, 0.9), retired=True),
    Exercise("purchase.recent_window", "how far back should the counts look?", recent_window, kind="exact",
             hint="count views, carts and categories in the last w events only, fit on train, and compare the "
                  "validation ROC-AUC of every w (never the test set)", difficulty="**", wrong=(12, 3, 1)),
]
