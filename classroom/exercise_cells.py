"""The exercise cells of every chapter, and an idempotent script that writes them into the notebooks.

Each chapter's exercise section becomes four kinds of cells, marked by cell tags that the
tools honour (``classroom/student.py``, the book, the tests):

* ``exercise`` (markdown): the questions;
* ``example`` (code, chapter 1 only): how ``check`` is used, on a question that is no exercise;
* ``exercise`` (code): the stub, one ``check(...)`` per exercise, with a placeholder answer;
* ``solution`` (markdown): the solutions inside HTML ``<details>``, collapsed in the book,
  in JupyterLab / Jupyter Notebook and on Colab alike (no MyST-only syntax).

Run ``python classroom/exercise_cells.py`` (all chapters) or with notebook paths: it finds the
section by its tags (or, the first time, by the ``## Exercises`` heading), replaces the exercise,
example, stub and solution cells with the ones below, keeps what came before (the summary) and
after (references, errata) as their own cells, and leaves every other cell untouched. Running it
twice changes nothing. The stub cells then need executing: ``make notebooks`` (or
``jupyter execute --inplace`` on the changed chapters) re-records their outputs.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAGS = ("exercise", "example", "solution")


def details(body: str, summary: str = "Solutions") -> str:
    """Solutions in HTML ``<details>``: collapsed everywhere. The blank lines matter: they let
    MyST, JupyterLab and Colab render the Markdown (and math) inside."""
    return f"<details>\n<summary>{summary} (click to open)</summary>\n\n{body.strip()}\n\n</details>\n"


CHAPTERS: dict[str, dict] = {}

CHAPTERS["01_behavior_data"] = dict(
    exercises="""## Exercises

1. How many sessions does MovieLens-100K have with a **one-hour** inactivity gap?
   `check("data.sessions_1h", n)`.
2. A user's target has 0-based rank 3. What is its NDCG@10? `check("data.ndcg_rank3", x)`.
3. What fraction of the synthetic shop's user–item **view** matrix is filled: distinct
   (user, item) pairs among `shop.views()`, over the number of users times the number of items
   in the views? `check("data.shop_density", x)`.
4. Score the synthetic shop with the most-popular model, but **remove items the user has
   already viewed** (`exclude=split_shop.test_inputs`). What is Hit@10? `check("data.pop_exclude_hit10", x)`.
5. Which split lets a model see a user's later behavior during training: `"random"`,
   `"leave-one-out"` or `"temporal"`? `check("data.leaky_split", answer)`.

Each `check` says *correct* or *not yet* with a hint; it never shows the expected answer.
""",
    example="""# How check() works, on a question that is not an exercise: how many users does MovieLens-100K have?
check("data.example_users", ml.user_id.nunique())   # the chapter printed this number above
check("data.example_users", len(ml))                # a wrong answer gets a hint, never the answer
""",
    stub="""check("data.sessions_1h", None)        # exercise 1: replace None by your answer
check("data.ndcg_rank3", None)          # exercise 2
check("data.shop_density", None)        # exercise 3
check("data.pop_exclude_hit10", None)   # exercise 4
check("data.leaky_split", None)         # exercise 5: one of "random", "leave-one-out", "temporal"
""",
    solution=details("""
1. `sessionize(ml_log, gap=3600)["session"].nunique()`: 2,692 sessions.
2. $1/\\log_2 5 \\approx 0.431$.
3. ```python
   v = shop.views()
   len(v[["user_id", "item_id"]].drop_duplicates()) / (v.user_id.nunique() * v.item_id.nunique())
   ```
   about 0.218: the small shop is far denser than MovieLens (whose density the chapter printed).
4. `ranking_metrics(Popularity().fit(split_shop.train, split_shop.n_items).score(split_shop.test_inputs), split_shop.test_targets, exclude=split_shop.test_inputs)["hit@10"]`,
   about 0.042 — removing seen items can help or hurt: on the shop users often *revisit* items.
5. `"random"`: it ignores time, so a user's later events land in training and earlier ones in test.
"""),
)

CHAPTERS["02_nn_essentials"] = dict(
    exercises="""## Exercises

1. **Softmax gradient.** For logits $z = (1, 2, 0.5)$ and true class 2 (zero-based: index 1),
   compute $\\partial L/\\partial z$ for the cross-entropy loss of this single example.
   Check with `check("nn_essentials.softmax_grad", your_vector)`.
2. **Counting parameters.** How many trainable parameters does the MLP above have
   (16 inputs, 32 hidden units, 1 output)? Check with `check("nn_essentials.mlp_params", n)`.
3. **Sigmoid and binary cross-entropy.** For one logit $z$ and label $y\\in\\{0,1\\}$,
   $L = -y\\log\\sigma(z) - (1-y)\\log(1-\\sigma(z))$. What is $\\partial L/\\partial z$ at $z=0.3$, $y=1$?
   Check with `check("nn_essentials.bce_grad", value)`.
""",
    stub="""from companion.exercises import check

check("nn_essentials.softmax_grad", None)   # exercise 1: replace None by your vector
check("nn_essentials.mlp_params", None)     # exercise 2: your count
check("nn_essentials.bce_grad", None)       # exercise 3: your value
""",
    solution=details("""
1. $\\mathrm{softmax}(z) - e_1 = (0.231, 0.629, 0.140) - (0, 1, 0) = (0.231, -0.371, 0.140)$.
2. $16 \\cdot 32 + 32 + 32 \\cdot 1 + 1 = 577$ (`sum(p.numel() for p in mlp_torch.parameters())`).
3. $\\sigma(z) - y = \\sigma(0.3) - 1 = -0.426$: the binary case of $\\hat y - y$.
"""),
)

CHAPTERS["03_rnn_lstm_gru"] = dict(
    exercises="""## Exercises

1. **A second LSTM step by hand.** Continue the corrected LSTM example of source 003 (the table
   above gives $h_1$ and $c_1$) for one more step: as in the source's RNN example, the vector
   fed to every gate at step 2 is $h_1$, with the same $W_i$ and $b_i$ for every gate. Compute
   $h_2$ (three numbers); this time the forget gate has a $c_1$ to act on.
   Check with `check("rnn.lstm_step2", h2)`.
2. **Where the RNN settles.** Keep running source 003's RNN with no input, $h_t = \\sigma(W_h h_{t-1} + b_h)$
   from $h_0 = 0$. The state converges: to which $h^*$ (two numbers)?
   Check with `check("rnn.rnn_fixed_point", h_star)`.
3. **Implement the GRU update.** Write `gru_step(x, h, cell)` that computes one GRU step from the
   parameters of a `ScratchGRUCell` (`cell.W_r`, `cell.U_r`, `cell.b_r`, ..., `cell.b_hn`) without
   calling `cell`. Check with `check("rnn.gru_step", gru_step)`.
4. **Counting GRU parameters.** How many parameters does a two-layer GRU with input size 10 and
   hidden size 16 have (`nn.GRU(10, 16, 2)`; Keras's `reset_after=True` GRU has as many)?
   Check with `check("rnn.gru_params", n)`.
""",
    stub="""from companion.exercises import check


def gru_step(x, h, cell):
    return h  # exercise 3: replace with the GRU update


check("rnn.lstm_step2", None)        # exercise 1: replace None by your h_2
check("rnn.rnn_fixed_point", None)   # exercise 2: your h*
check("rnn.gru_step", gru_step)      # exercise 3
check("rnn.gru_params", None)        # exercise 4: your count
""",
    solution=details("""
1. $z_2 = W_i h_1 + b_i = [0.282, 0.608, 0.934]$; $i = f = o = \\sigma(z_2) = [0.570, 0.648, 0.718]$,
   $g = \\tanh(z_2) = [0.274, 0.543, 0.733]$, $c_2 = f \\odot c_1 + i \\odot g = [0.252, 0.613, 0.957]$,
   $h_2 = o \\odot \\tanh(c_2) = [0.141, 0.354, 0.533]$.

   ```python
   from companion.errata.rnn import LSTM_B, LSTM_W, lstm_example, sigmoid
   ex = lstm_example()
   z2 = LSTM_W @ ex["h1"] + LSTM_B
   c2 = sigmoid(z2) * ex["c1"] + sigmoid(z2) * np.tanh(z2)
   h2 = sigmoid(z2) * np.tanh(c2)
   ```
2. ```python
   from companion.errata.rnn import RNN_B, RNN_W, sigmoid
   h = np.zeros(2)
   for _ in range(100):
       h = sigmoid(RNN_W @ h + RNN_B)
   ```
   $h^* \\approx [0.672, 0.751]$: $\\sigma$ has slope at most 1/4 and $\\lVert W_h\\rVert < 4$, so the
   map is a contraction and every start converges to the same point (within a few steps here).
3. ```python
   def gru_step(x, h, cell):
       r = torch.sigmoid(h @ cell.W_r.T + x @ cell.U_r.T + cell.b_r)
       z = torch.sigmoid(h @ cell.W_z.T + x @ cell.U_z.T + cell.b_z)
       n = torch.tanh(x @ cell.U_n.T + cell.b_n + r * (h @ cell.W_n.T + cell.b_hn))
       return (1 - z) * n + z * h
   ```
4. Per layer $3H\\cdot d + 3H\\cdot H + 3H + 3H$ (input weights, recurrent weights, `bias_ih`,
   `bias_hh`): $480 + 768 + 96 = 1344$ for layer 1 and $768 + 768 + 96 = 1632$ for layer 2, whose
   input is layer 1's hidden state: **2976** (`sum(p.numel() for p in nn.GRU(10, 16, 2).parameters())`).
"""),
)

CHAPTERS["04_purchase_prediction"] = dict(
    exercises="""## Exercises

1. **Recurrent dropout masks.** For a PurchaseLSTM with 32 hidden units and prefixes of 12 events, how
   many independent Bernoulli draws does variational recurrent dropout make for the recurrent mask of
   one sequence during one training step? `check("purchase.recurrent_mask_draws", n)`.
2. **The posterior by hand.** With the default generator but `horizon=0` (the model sees the whole
   session), compute $P(\\text{purchase}\\mid\\text{view in category 0, then cart in category 0})$.
   `check("purchase.posterior_view_cart", p)`.
3. **Give the counts some order.** Add features of the *last* events to the bag of events (for
   example: whether the last event is a cart, carts among the last three events, whether the last two
   events share a category, the first category as one-hot) and report the test ROC-AUC of the logistic
   regression (same data: `n_users=5000`, seed 0, split seed 0). How much of the gap to the LSTM closes?
   `check("purchase.recency_features", auc)`.
""",
    stub="""from companion.exercises import check

check("purchase.recurrent_mask_draws", None)   # exercise 1: replace None by your answer
check("purchase.posterior_view_cart", None)    # exercise 2
check("purchase.recency_features", None)       # exercise 3: your test ROC-AUC
""",
    solution=details("""
1. 32: one mask entry per hidden unit, drawn once per sequence and reused at all 12 steps (naive
   per-step dropout would draw 32 × 12 = 384).
2. Filter as in the section on Bayes' rule: $\\alpha_1\\propto(1-\\pi_0,\\ \\pi_0)\\odot(1-q)$,
   $\\alpha_2\\propto(\\alpha_1T)\\odot q\\odot s$, then $\\alpha_2^\\top\\rho$ (no future steps when
   `horizon=0`); or `generate_purchase_sessions(n_users=10, horizon=0).posterior(np.array([[1, 2]]), np.array([[1, 1]]))`.
   About 0.835.
3. For example:

   ```python
   last = events[:, -1] == 2
   last3 = (events[:, -3:] == 2).sum(1)
   same = (cats[:, -1] == cats[:, -2]) & (cats[:, -2] > 0)
   first = cats[np.arange(len(cats)), (cats == 0).sum(1)]
   X = np.c_[bag, last, last3, same, np.eye(data.n_categories + 1)[first]]
   model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X[tr], y[tr])
   roc_auc_score(y[te], model.predict_proba(X[te])[:, 1])
   ```

   With these features the logistic regression reaches about 0.78, level with the LSTM: features
   designed by someone who knows how the data were generated are as good as a learned
   representation at this data size. The LSTM found the same information in the raw sequence
   without being told where to look; on real data nobody knows the generator.
"""),
)

CHAPTERS["05_forecasting"] = dict(
    exercises="""## Exercises

1. **MASE by hand.** The training series is `[10, 12, 14, 11, 13, 15, 12, 11, 13, 16, 12, 14, 15, 13]`
   (two weeks), the next two days are `[12, 14]`, a method forecast `[13, 13]`. What is the MASE
   with $m = 7$? `check("forecasting.mase_by_hand", x)`.
2. **Seasonal naive.** What does seasonal naive forecast for the first 7 evaluation days of the
   shop (from `y_shop[:origins_shop[0]]`, the CPU-sized run)? `check("forecasting.snaive_shop", forecast)`.
3. **The HLN factor.** By what factor does the Harvey–Leybourne–Newbold correction multiply the
   Diebold–Mariano statistic for $n = 50$ origins and $h = 7$? `check("forecasting.hln_factor", x)`.
4. **Leakage.** Fit a `fc.SeriesScaler()` on *all* of `y_ml` instead of the data before the first
   origin (CPU-sized run). By how much does its mean (on the log scale) differ from the honest one,
   in absolute value? `check("forecasting.scaler_leak", x)`.
5. **Intervals.** Run the SARIMA walk-forward on ML-100K with `alpha=0.05` (95% intervals). Is
   the coverage closer to its nominal level than the 80% intervals' was? What does the answer say
   about the bursts of this series? (No check: discuss.)
6. **Initialisation.** Run the Keras walk-forward with Keras's own initialisers (`init="keras"`,
   the default) on both series. Where does its MASE fall relative to the five PyTorch seeds?
   (No check: compare with the table.)
""",
    stub="""from companion.exercises import check

check("forecasting.mase_by_hand", None)   # exercise 1: replace None by your value
check("forecasting.snaive_shop", None)    # exercise 2: your 7 forecasts
check("forecasting.hln_factor", None)     # exercise 3: your factor
check("forecasting.scaler_leak", None)    # exercise 4: your difference
""",
    solution=details("""
1. The in-sample seasonal naive errors are $|11-10|, |13-12|, |16-14|, |12-11|, |14-13|, |15-15|, |13-12|$,
   mean $7/7 = 1$; the MAE of the forecast is $(1 + 1)/2 = 1$; MASE $= 1/1 = 1.0$
   (`mase([12, 14], [13, 13], train, m=7)`).
2. `seasonal_naive(y_shop[:origins_shop[0]], 7)`: the last observed week, repeated.
3. $\\sqrt{(n + 1 - 2h + h(h-1)/n)/n} = \\sqrt{(51 - 14 + 42/50)/50} \\approx 0.870$.
4. `abs(fc.SeriesScaler().fit(y_ml).mean_ - fc.SeriesScaler().fit(y_ml[:origins_ml[0]]).mean_)`, about 0.056:
   small here, but it is information about the evaluation period that the model should not have.
5. `fc.walk_forward(fc.SARIMAForecaster(*orders["ML-100K"]), y_ml, origins_ml, H, refit_every=REFIT_EVERY, alpha=0.05)`
   then `fc.interval_coverage(...)`. Gaussian intervals on the log scale are too narrow for days with
   bursts: the misses come from the spikes, which no interval of a Gaussian model is wide enough for.
6. `fc.walk_forward(KerasLSTMForecaster(**LSTM_KW), y, origins, H, refit_every=REFIT_EVERY, exog=x)` for each
   series. On the machine that produced these outputs it scored MASE 0.988 (ML-100K) and 0.640 (shop),
   worse than all five PyTorch seeds on both: with about 150 windows per fit, where training starts
   matters as much as the framework.
"""),
)

CHAPTERS["06_next_item_rnn"] = dict(
    exercises="""## Exercises

1. **NDCG by hand.** A target ranked at 0-based position 7 (eighth place): what is its NDCG@10?
   Check with `check("next_item.ndcg_rank7", value)`.
2. **Windows.** With `max_len = 50`, how many training windows does `causal_windows` make from
   one training sequence of 120 items? Check with `check("next_item.windows_120", n)`.
3. **Masking, on validation.** Compute the Popularity baseline's **validation** Hit@10 on ML-100K
   with seen items masked (the table above shows test NDCG@10 only).
   Check with `check("next_item.popularity_masked_valid", value)`.
4. **Seed noise.** Retrain the CPU-sized GRU4Rec with `companion.seed_everything(1)` and compare its
   test NDCG@10 with the seed-0 run. Is the difference smaller than the gap to the Markov baseline?
   (No check: look at the numbers.)
""",
    stub="""from companion.exercises import check

check("next_item.ndcg_rank7", None)              # exercise 1: replace None by your value
check("next_item.windows_120", None)             # exercise 2: your count
check("next_item.popularity_masked_valid", None) # exercise 3: your value
""",
    solution=details("""
1. $1 / \\log_2(7 + 2) \\approx 0.315$.
2. 119 targets (the first item has none) in windows of 50 from the end: 50 + 50 + 19, so **3** windows.
3. ```python
   pop = Popularity().fit(split.train, split.n_items)
   evaluate_scorer(pop, split, "valid", exclude_seen=True)["hit@10"]   # about 0.073
   ```
4. Differences between seeds are of the order of 0.005 NDCG@10 on 943 users; compare them with the
   gaps in the table before calling one model better than another.
"""),
)

CHAPTERS["07_attention_sasrec"] = dict(
    exercises="""## Exercises

1. **Scaled softmax by hand.** A query has dot products $[1.2, 0.4, 2.0]$ with three keys and
   $d_k = 4$. Compute the attention weights $\\mathrm{softmax}(q k_j^\\top/\\sqrt{d_k})$.
   Check with `check("attention.scaled_softmax_dk4", weights)`.
2. **Causal pairs.** How many (query, key) pairs does a causal mask allow for $L = 50$ (no padding)?
   `check("attention.causal_pairs", n)`.
3. **Memory.** Bytes of float32 attention weights for batch 256, 2 heads, $L = 200$ and 2 blocks.
   `check("attention.attention_bytes", n)`.
4. **BERT4Rec masking.** Write `mask_items(seq, mask_id, p, rng)` returning `(inputs, targets)`: each
   non-padding position is replaced by `mask_id` with probability `p`; targets hold the original item
   at masked positions and 0 elsewhere; padding (0) is never masked.
   `check("attention.bert4rec_mask", mask_items)`.
""",
    stub="""from companion.exercises import check


def mask_items(seq, mask_id, p, rng):
    return seq, np.zeros_like(seq)  # exercise 4: replace with the masking


check("attention.scaled_softmax_dk4", None)   # exercise 1: replace None by your weights
check("attention.causal_pairs", None)         # exercise 2: your count
check("attention.attention_bytes", None)      # exercise 3: your number of bytes
check("attention.bert4rec_mask", mask_items)  # exercise 4
""",
    solution=details("""
1. $[1.2, 0.4, 2.0]/\\sqrt 4 = [0.6, 0.2, 1.0]$; softmax $= [0.316, 0.212, 0.472]$ (without the scaling:
   $[0.272, 0.122, 0.606]$, sharper).
2. Query $t$ sees keys $1..t$: $\\sum_{t=1}^{50} t = 50 \\cdot 51 / 2 = 1275$.
3. $256 \\cdot 2 \\cdot 200^2 \\cdot 4 \\cdot 2 = 163{,}840{,}000$ bytes (156 MiB).
4. ```python
   def mask_items(seq, mask_id, p, rng):
       masked = (rng.random(len(seq)) < p) & (seq > 0)
       return np.where(masked, mask_id, seq), np.where(masked, seq, 0)
   ```
"""),
)


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _tags(cell) -> list:
    return cell.get("metadata", {}).get("tags", [])


def _tagged(source: str, kind: str, tag: str):
    cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [tag]
    return cell


_SOLUTION_START = re.compile(r"^(`{3,}|:{3,})\{admonition\} Solutions", re.M)


def _split_old_solution(src: str) -> str:
    """Everything after the old MyST solution admonition (references, errata) in the same cell."""
    m = _SOLUTION_START.search(src)
    if not m:
        return src
    fence = m.group(1)
    end = re.search(rf"^{re.escape(fence)}\s*$", src[m.end():], re.M)
    return src[m.end() + end.end():].lstrip("\n") if end else ""


def apply(path: Path) -> bool:
    """Rewrite the exercise section of one notebook; returns whether anything changed."""
    spec = CHAPTERS.get(path.stem)
    if spec is None:
        return False
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    before = nbformat.writes(nb)
    tagged = [i for i, c in enumerate(cells) if set(_tags(c)) & set(TAGS)]
    if tagged:                              # already converted: replace the tagged block
        start, stop = tagged[0], tagged[-1] + 1
        head, tail = [], []
    else:                                   # first time: split at the "## Exercises" heading
        start = next(i for i, c in enumerate(cells)
                     if c.cell_type == "markdown" and re.search(r"^## Exercises", _src(c), re.M))
        src = _src(cells[start])
        pre = src[: re.search(r"^## Exercises", src, re.M).start()].rstrip()
        head = [nbformat.v4.new_markdown_cell(pre)] if pre else []
        stop = next(i for i in range(start + 1, len(cells))
                    if cells[i].cell_type == "markdown" and _SOLUTION_START.search(_src(cells[i]))) + 1
        rest = _split_old_solution(_src(cells[stop - 1])).strip()
        tail = [nbformat.v4.new_markdown_cell(rest)] if rest else []
    block = [_tagged(spec["exercises"], "markdown", "exercise")]
    if "example" in spec:
        block.append(_tagged(spec["example"], "code", "example"))
    block.append(_tagged(spec["stub"], "code", "exercise"))
    block.append(_tagged(spec["solution"], "markdown", "solution"))
    old_block = cells[start:stop]
    # keep stored outputs of unchanged code cells so a re-run of this script is a no-op
    for new in block:
        for old in old_block:
            if old.cell_type == new.cell_type and _src(old) == _src(new) and _tags(old) == _tags(new):
                if "id" in old:
                    new.id = old.id
                if new.cell_type == "code":
                    new.outputs, new.execution_count, new.metadata = old.outputs, old.execution_count, old.metadata
                break
    nb.cells = cells[:start] + head + block + tail + cells[stop:]
    nbformat.validate(nb)
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after + ("" if after.endswith("\n") else "\n"), encoding="utf-8")
        return True
    return False


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for p in paths:
        if apply(p):
            print(f"updated {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
