"""MovieLens-100K, offline first.

Lookup order: an explicit ``path``; the cache directory; the copy shipped in the
RecBole wheel (``pip install --no-deps recbole``); with ``download=True`` the
official GroupLens archive, checked against its published MD5. Never synthetic data.
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
MD5 = "0e33842e24a9c977be4e0107933c0723"
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)
_HOW = (
    "MovieLens-100K not found. Get it one of these ways:\n"
    "  * pip install --no-deps recbole   (ships a copy; offline)\n"
    "  * load_movielens_100k(download=True)   (fetches the GroupLens archive, checks its MD5)\n"
    "  * load_movielens_100k(path=...)   pointing at u.data or ml-100k.inter"
)


def cache_dir() -> Path:
    """Where downloads are kept: ``$COMPANION_DATA`` or ``~/.cache/companion``."""
    return Path(os.environ.get("COMPANION_DATA", Path.home() / ".cache" / "companion"))


def _recbole_dir() -> Path | None:
    spec = importlib.util.find_spec("recbole")  # locate the wheel without importing RecBole
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "dataset_example" / "ml-100k"
    return d if (d / "ml-100k.inter").exists() else None


def _read_ratings(path: Path) -> pd.DataFrame:
    path = Path(path)
    if path.is_dir():
        for name in ("u.data", "ml-100k.inter"):
            if (path / name).exists():
                return _read_ratings(path / name)
        raise FileNotFoundError(f"no u.data or ml-100k.inter in {path}")
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    header = 0 if path.suffix == ".inter" else None
    df = pd.read_csv(path, sep="\t", header=header, names=["user_id", "item_id", "rating", "timestamp"])
    df = df.astype({"user_id": "int64", "item_id": "int64", "rating": "int64", "timestamp": "int64"})
    if len(df) != 100_000:
        raise ValueError(f"{path} has {len(df)} ratings; MovieLens-100K has 100,000")
    return df


def download_movielens_100k(dest: Path | None = None) -> Path:
    """Download the GroupLens archive, verify its MD5 and extract ``u.data``/``u.item``."""
    dest = Path(dest or cache_dir() / "ml-100k")
    dest.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(URL, timeout=60) as r:
        blob = r.read()
    digest = hashlib.md5(blob).hexdigest()
    if digest != MD5:
        raise ValueError(f"ml-100k.zip MD5 is {digest}, expected {MD5}; refusing a corrupt or altered file")
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        for name in ("u.data", "u.item"):
            (dest / name).write_bytes(z.read(f"ml-100k/{name}"))
    return dest


def find_movielens_100k(path=None, download: bool = False) -> Path:
    """Return the directory or file holding MovieLens-100K (see module docstring for the order)."""
    if path is not None:
        return Path(path)
    cached = cache_dir() / "ml-100k"
    if (cached / "u.data").exists():
        return cached
    shipped = _recbole_dir()
    if shipped is not None:
        return shipped
    if download:
        return download_movielens_100k(cached)
    raise FileNotFoundError(_HOW)


def load_movielens_100k(path=None, download: bool = False) -> pd.DataFrame:
    """MovieLens-100K ratings: 100,000 rows, columns ``user_id, item_id, rating, timestamp``.

    Rows keep the order of the source file; ``timestamp`` is Unix seconds.
    """
    return _read_ratings(find_movielens_100k(path, download))


def load_movielens_100k_items(path=None, download: bool = False) -> pd.DataFrame:
    """Movie metadata: ``item_id, title, year`` and one boolean column per genre."""
    where = find_movielens_100k(path, download)
    where = where if where.is_dir() else where.parent
    if (where / "u.item").exists():
        raw = pd.read_csv(where / "u.item", sep="|", header=None, encoding="latin-1")
        items = pd.DataFrame({"item_id": raw[0].astype("int64"), "title": raw[1],
                              "year": pd.to_datetime(raw[2], format="%d-%b-%Y", errors="coerce").dt.year})
        for j, g in enumerate(GENRES):
            items[g] = raw[5 + j].astype(bool)
        return items
    if (where / "ml-100k.item").exists():
        raw = pd.read_csv(where / "ml-100k.item", sep="\t", header=0,
                          names=["item_id", "title", "year", "genres"])
        items = pd.DataFrame({"item_id": raw["item_id"].astype("int64"), "title": raw["title"],
                              "year": pd.to_numeric(raw["year"], errors="coerce")})
        genres = raw["genres"].fillna("").str.split(" ")
        for g in GENRES:
            items[g] = genres.map(lambda gs, k=g: k in gs)
        return items
    raise FileNotFoundError(f"no u.item or ml-100k.item next to the ratings in {where}")


def favourite_genre(ratings: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    """Each user's most-rated genre (ties broken by genre order); indexed by user_id."""
    g = items.set_index("item_id")[list(GENRES[1:])]
    counts = g.loc[ratings["item_id"]].to_numpy(dtype=np.int64)
    per_user = pd.DataFrame(counts, columns=GENRES[1:]).groupby(ratings["user_id"].to_numpy()).sum()
    return per_user.idxmax(axis=1).rename("favourite_genre")


def movielens_ctr(ratings: pd.DataFrame | None = None, items: pd.DataFrame | None = None, *, max_len: int = 20,
                  targets_per_user: int | None = None, fractions=(0.7, 0.15, 0.15), seed: int = 0):
    """MovieLens-100K as a click-through task, built as DIN's paper built MovieLens-20M.

    Protocol: every rating is an impression of its movie to its user, ``label = 1`` for a rating
    of 4 or 5 and 0 for 1–3; the behavior history is the user's ``max_len`` most recent rated
    movies with a timestamp **strictly before** the target's (ratings in the same second are not
    history: their order is unknown), left-padded, most recent last, whatever their rating; item
    features are the 19 genre flags of ``u.item`` (multi-hot). ``targets_per_user`` (``None``:
    all) keeps that many of each user's ratings as impressions, drawn at random with ``seed``
    (their histories still use all earlier ratings). Users (not ratings) are split
    70/15/15 by :func:`companion.data.split_impressions` with ``seed``. Returns a
    :class:`companion.data.CTRData`.
    """
    from .._checks import check_int
    from .impressions import CTRData, split_impressions

    check_int("max_len", max_len)
    if targets_per_user is not None:
        check_int("targets_per_user", targets_per_user)
    ratings = load_movielens_100k() if ratings is None else ratings
    items = load_movielens_100k_items() if items is None else items
    missing = {"user_id", "item_id", "rating", "timestamp"} - set(ratings.columns)
    if missing:
        raise ValueError(f"ratings lack the column(s) {sorted(missing)}")
    if ratings[["user_id", "item_id", "rating", "timestamp"]].isna().any().any():
        raise ValueError("ratings hold missing values")
    unknown = set(ratings["item_id"]) - set(items["item_id"])
    if unknown:
        raise ValueError(f"{len(unknown)} rated item id(s) have no row in items, e.g. {sorted(unknown)[:5]}")
    n_items = int(items["item_id"].max()) + 1
    feats = np.zeros((n_items, len(GENRES)), dtype=np.float32)
    feats[items["item_id"].to_numpy()] = items[list(GENRES)].to_numpy(dtype=np.float32)
    r = ratings.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    rng = np.random.default_rng(seed)
    rows, hist = [], []
    for user, g in r.groupby("user_id", sort=True):
        it, ts, rt = (g[c].to_numpy() for c in ("item_id", "timestamp", "rating"))
        earlier = np.searchsorted(ts, ts, side="left")  # ratings strictly before each one
        chosen = np.arange(len(it))
        if targets_per_user is not None and targets_per_user < len(it):
            chosen = np.sort(rng.choice(len(it), size=targets_per_user, replace=False))
        for j in chosen:
            h = it[max(0, earlier[j] - max_len):earlier[j]]
            hist.append(np.r_[np.zeros(max_len - len(h), np.int64), h])
            rows.append((user, it[j], int(rt[j] >= 4), rt[j], ts[j]))
    imp = pd.DataFrame(rows, columns=["user_id", "item_id", "label", "rating", "timestamp"])
    params = dict(max_len=max_len, targets_per_user=targets_per_user, fractions=list(fractions), seed=seed)
    return CTRData(impressions=imp, history=np.asarray(hist, dtype=np.int64), item_features=feats,
                   feature_names=list(GENRES), split=split_impressions(imp["user_id"].to_numpy(), fractions, seed),
                   params=params)
