"""Chapter 9 (variational autoencoders)."""
import numpy as np

from . import Exercise


def kl_two_dims():
    from companion.vae import gaussian_kl

    return float(gaussian_kl(np.array([1.0, -0.5]), np.log([1.0, 0.25])))


def cap_epoch():
    from companion.vae import KLAnneal

    a, per_epoch = KLAnneal(200_000, 0.2), int(np.ceil(943 / 500))
    t = 0
    while a.step() < 0.2:
        t += 1
    return t // per_epoch + 1  # update t (0-based) falls in epoch t // per_epoch + 1


def recall_normalised():
    return 3 / min(5, 8)


def ease_random_valid():
    from companion.baselines import EASE
    from companion.data import load_movielens_100k
    from companion.data.user_item import as_item_lists, random_split, scores_of
    from companion.vae import evaluate_random_split

    rs = random_split(load_movielens_100k())
    m = EASE(lam=50.0).fit(as_item_lists(rs.train), rs.n_items + 1)
    return evaluate_random_split(lambda x: scores_of(m, x), rs, "valid")["recall@10"]


EXERCISES = [
    Exercise("vae.kl_two_dims", "Gaussian KL in two dimensions", kl_two_dims, tol=5e-4,
             hint="½ Σ_d (μ_d² + σ_d² − 1 − log σ_d²), natural logarithm"),
    Exercise("vae.cap_epoch", "the epoch in which a 200,000-step schedule reaches its cap", cap_epoch, kind="exact",
             hint="update t (0-based) uses beta = min(cap, t / total_anneal_steps); count the updates of one epoch",
             wrong=(20000, 40000, 40001)),
    Exercise("vae.recall_normalised", "Recall@5 normalised by min(K, |held-out|)", recall_normalised, tol=5e-4,
             hint="divide the hits by the smaller of K and the number of held-out items", wrong=(0.375,)),
    Exercise("vae.ease_random_valid", "EASE on RecBole's protocol, validation Recall@10", ease_random_valid,
             tol=5e-4, hint="fit on rs.train only; evaluate the 'valid' part (training items are excluded)",
             difficulty="**"),
]
