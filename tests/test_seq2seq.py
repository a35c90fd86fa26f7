"""Chapter 08: the funnel task and its oracle, decoding (greedy, beam, exhaustive, sampling), k-step
metrics, attention by hand vs Keras, the PyTorch/Keras encoder-decoders and the 004 §5.2 errata."""
import numpy as np
import pytest

import companion  # noqa: F401
from companion import decoding, kstep
from companion.data import generate_shop_log
from companion.data.funnel import BOS, EOS, funnel_task, funnel_vocabulary, shop_token_streams


@pytest.fixture(scope="module")
def task():
    shop = generate_shop_log(n_users=60, n_items=40, n_categories=3, days=40, promo_every=0, seed=1)
    return funnel_task(shop, k=3, max_len=8)


def _allowed(V):
    a = np.ones(V, bool)
    a[:2] = False
    return a


# ----------------------------------------------------------------------------- data and oracle
def test_tokens_and_vocabulary():
    assert funnel_vocabulary(2) == ["<pad>", "<bos>", "<eos>", "view:0", "view:1", "cart:0", "cart:1", "buy:0",
                                    "buy:1"]
    shop = generate_shop_log(n_users=20, n_items=30, n_categories=2, days=10, promo_every=0, seed=0)
    st = shop_token_streams(shop)
    n_sessions = shop.events["session_id"].nunique()
    assert (st["token"] == EOS).sum() == n_sessions
    assert len(st) == (shop.events["event"] != "return").sum() + n_sessions
    with pytest.raises(TypeError, match="SyntheticShop"):
        shop_token_streams(shop.events)


def test_task_needs_constant_buy_probability():
    shop = generate_shop_log(n_users=20, n_items=30, n_categories=2, days=40, seed=0)  # promotions on
    with pytest.raises(ValueError, match="promo_every=0"):
        funnel_task(shop)


def test_targets_end_with_absorbing_eos(task):
    for part in (task.train, task.valid, task.test):
        y = part.tgt
        after = np.maximum.accumulate(y == EOS, axis=1)
        assert (y[after] == EOS).all()
        assert (part.src[:, -1] != 0).all()
    tin, tout = task.test.decoder_io()
    assert (tin[:, 0] == BOS).all() and (tin[:, 1:] == tout[:, :-1]).all()


def test_oracle_joint_and_marginals_agree(task):
    """Two independent computations: the forward-propagated hidden chain and the enumeration of every
    sequence with the filtering step function give the same per-step marginals; the joint sums to 1."""
    o, part = task.oracle, task.test.subset(np.arange(40))
    m = o.marginals(part, task.k)
    assert np.abs(m.sum(-1) - 1).max() < 1e-12
    st = o.initial_state(part)
    rd = kstep.rollout_divergence(o.step, st, o.step, st, len(part), task.k, allowed=_allowed(task.vocab_size))
    assert np.abs(rd["marginals"]["true"] - m).max() < 1e-12
    assert rd["tv_free"].max() < 1e-12 and rd["tv_teacher"].max() < 1e-12


def test_oracle_matches_the_generator(task):
    """The first target token's frequency matches the oracle's mean probability (4 standard errors)."""
    part = task.train
    p = task.oracle.marginals(part, 1)[:, 0]
    emp = np.eye(task.vocab_size)[part.tgt[:, 0]]
    se = np.sqrt(p.mean(0) * (1 - p.mean(0)) / len(part)) + 1e-9
    assert (np.abs(emp.mean(0) - p.mean(0)) < 4 * se + 1e-3).all()


# ----------------------------------------------------------------------------- decoding
def _random_step(V=4, seed=0):
    """A step function whose next-token law depends on the whole prefix (state = prefix code)."""
    table = np.random.default_rng(seed).normal(0, 1.5, size=(10_000, V))

    def step(tokens, state):
        code = (state * 31 + tokens + 7) % 10_000
        z = table[code]
        return z - np.logaddexp.reduce(z, axis=1, keepdims=True), code

    return step


def test_beam_width_one_is_greedy():
    step = _random_step()
    g, gs = decoding.greedy(step, np.arange(50), 50, 5, bos=0)
    b, bs = decoding.beam_search(step, np.arange(50), 50, 5, 1, bos=0)
    assert (b[:, 0] == g).all() and np.abs(bs[:, 0] - gs).max() < 1e-12


def test_exhaustive_is_exact_and_bounds_every_beam():
    V, k, n = 4, 5, 60
    step = _random_step(V)
    best, lp, n_scored = decoding.exhaustive_search(step, np.arange(n), n, k, bos=0)
    assert n_scored == n * V ** k
    assert np.abs(decoding.sequence_log_prob(step, np.arange(n), best, bos=0) - lp).max() < 1e-10
    for w in (1, 3, 5, 10):
        _, bs = decoding.beam_search(step, np.arange(n), n, k, w, bos=0)
        assert (bs[:, 0] <= lp + 1e-10).all()
    full, fs = decoding.beam_search(step, np.arange(n), n, k, V ** (k - 1), bos=0)  # wide enough = exhaustive
    assert np.abs(fs[:, 0] - lp).max() < 1e-10 and (full[:, 0] == best).all()


def test_wider_beam_can_be_worse():
    """Beam search is not monotone in the width: greedy (width 1) finds 0.4·(1/3)·1 while width 2 keeps
    two prefixes starting with b, drops greedy's, and ends at 0.35·(4/7)·(1/3)."""
    P = {(): [0.40, 0.35, 0.25], (0,): [1 / 3, 1 / 3, 1 / 3], (1,): [4 / 7, 3 / 7, 0.0], (2,): [1.0, 0, 0]}

    def step(tokens, state):  # state: an object array of prefixes (tuples)
        new = np.empty(len(state), dtype=object)
        new[:] = [s + (int(t),) if t >= 0 else s for s, t in zip(state, tokens)]
        rows = [P[s] if s in P else ([1.0, 0.0, 0.0] if s[0] == 0 else [1 / 3] * 3) for s in new]
        with np.errstate(divide="ignore"):
            return np.log(np.array(rows)), new

    start = np.empty(1, dtype=object)
    start[0] = ()
    _, s1 = decoding.beam_search(step, start, 1, 3, 1, bos=-1)
    _, s2 = decoding.beam_search(step, start, 1, 3, 2, bos=-1)
    assert np.exp(s1[0, 0]) == pytest.approx(0.4 / 3)
    assert np.exp(s2[0, 0]) == pytest.approx(0.35 * 4 / 7 / 3)
    assert s2[0, 0] < s1[0, 0]


def test_sampling_follows_the_model():
    step = _random_step(V=3, seed=2)
    n = 20_000
    seqs, lp = decoding.sample(step, np.zeros(n, dtype=np.int64), n, 1, rng=np.random.default_rng(0), bos=0)
    p = np.exp(step(np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))[0][0])
    freq = np.bincount(seqs[:, 0], minlength=3) / n
    assert np.abs(freq - p).max() < 4 * np.sqrt(0.25 / n)
    assert np.abs(lp - np.log(p[seqs[:, 0]])).max() < 1e-12


def test_length_penalty_needs_eos_and_reranks():
    step = _random_step()
    with pytest.raises(ValueError, match="eos"):
        decoding.beam_search(step, np.arange(3), 3, 4, 3, bos=0, length_penalty=1.0)
    s, sc = decoding.beam_search(step, np.arange(20), 20, 4, 4, bos=0, length_penalty=1.0, eos=2)
    norm = decoding.length_normalised(s, sc, eos=2, alpha=1.0)
    assert (np.diff(norm, axis=1) <= 1e-12).all()


def test_allowed_mask_is_respected(task):
    o, part = task.oracle, task.test.subset(np.arange(20))
    s, _ = decoding.beam_search(o.step, o.initial_state(part), 20, task.k, 5, allowed=_allowed(task.vocab_size))
    assert (s >= 2).all()


# ----------------------------------------------------------------------------- metrics and baselines
def test_kstep_metrics_by_hand():
    pred = np.array([[5, 6, 7], [5, 5, 5]])
    true = np.array([[5, 7, 6], [5, 6, 5]])
    m = kstep.per_row_metrics(pred, true)
    assert m["exact"].tolist() == [0, 0] and m["acc@1"].tolist() == [1, 1]
    assert m["position_acc"].tolist() == pytest.approx([1 / 3, 2 / 3])
    assert m["set_recall"].tolist() == pytest.approx([1.0, 0.5])
    ideal = 1 + 1 / np.log2(3)
    assert m["set_ndcg"].tolist() == pytest.approx([(1 + 1 / np.log2(3) + 0.5) / (ideal + 0.5), 1 / ideal])
    with pytest.raises(ValueError, match=r"\(n, k\)"):
        kstep.per_row_metrics(pred, true[:, :2])


def test_markov_chain_and_repeat_last():
    mc = kstep.MarkovChain(1, alpha=1e-9).fit([np.array([3, 4, 3, 4, 3, 5])], 6)
    assert np.allclose(mc.probs[1:].sum(-1), 1)
    assert mc.probs[3, 4] == pytest.approx(2 / 3, abs=1e-6) and mc.probs[4, 3] == pytest.approx(1, abs=1e-6)
    lp, st = mc.step(np.array([BOS]), mc.initial_state(np.array([[0, 3]])))
    assert st.tolist() == [[3]] and np.exp(lp[0, 5]) == pytest.approx(1 / 3, abs=1e-6)
    assert kstep.repeat_last(np.array([[0, 4, 7]]), 3).tolist() == [[7, 7, 7]]
    with pytest.raises(ValueError, match="padding"):
        kstep.repeat_last(np.array([[4, 0]]), 2)


# ----------------------------------------------------------------------------- models
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")


@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
def test_attention_by_hand_equals_keras_layers(kind):
    import companion.keras.seq2seq as ks
    import companion.torch.seq2seq as ts
    from companion.keras import load_torch

    torch.manual_seed(0)
    t = ts.AdditiveAttention(6, 6, 5) if kind == "additive" else ts.MultiplicativeAttention(6, 6)
    k = ks.AdditiveAttention(6, 6, 5) if kind == "additive" else ks.MultiplicativeAttention(6, 6)
    if kind == "additive":
        load_torch(k.W_q, t.W_q), load_torch(k.W_k, t.W_k)
        k.score.set_weights([t.v.detach().numpy()])
    else:
        load_torch(k.W, t.W)
    rng = np.random.default_rng(0)
    q, mem = rng.normal(size=(3, 4, 6)).astype("float32"), rng.normal(size=(3, 7, 6)).astype("float32")
    pad = np.zeros((3, 7), bool)
    pad[0, :3] = True
    with torch.no_grad():
        tc, tw = t(torch.as_tensor(q), torch.as_tensor(mem), key_padding_mask=torch.as_tensor(pad))
    kc, kw = k(q, mem, mem, key_padding_mask=pad)
    assert np.abs(keras.ops.convert_to_numpy(kc) - tc.numpy()).max() < 1e-5
    assert np.abs(keras.ops.convert_to_numpy(kw) - tw.numpy()).max() < 1e-5
    assert tw[0, :, :3].abs().max() == 0


@pytest.mark.parametrize("att", [None, "additive", "multiplicative"])
def test_seq2seq_gru_torch_equals_keras_and_steps_equal_one_pass(task, att):
    import companion.keras as ck
    import companion.torch as ct
    from companion.keras.seq2seq import step_function as kstep_fn
    from companion.torch.seq2seq import step_function, teacher_forced_log_probs

    torch.manual_seed(0)
    tm = ct.Seq2SeqGRU(task.vocab_size, 8, 12, attention=att).eval()
    km = ck.load_torch(ck.Seq2SeqGRU(task.vocab_size, 8, 12, attention=att), tm)
    part = task.test.subset(np.arange(16))
    tin, tout = part.decoder_io()
    ref = teacher_forced_log_probs(tm, part.src, tin)
    out = keras.ops.convert_to_numpy(km([part.src, tin]))
    out = out - np.logaddexp.reduce(out.astype(np.float64), -1, keepdims=True)
    assert np.abs(out - ref).max() < 1e-5
    for fn in (step_function, kstep_fn):  # free-running steps fed the true tokens = the one-pass logits
        lp = decoding.sequence_log_prob(*fn(tm if fn is step_function else km, part.src), tout)
        assert np.abs(lp - np.take_along_axis(ref, tout[..., None], -1)[..., 0].sum(1)).max() < 1e-4


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_transformer_steps_equal_one_pass(task, framework):
    """The causal mask is right: decoding step by step gives the teacher-forced (one-pass) log-probs."""
    part = task.test.subset(np.arange(16))
    tin, tout = part.decoder_io()
    if framework == "torch":
        import companion.torch.seq2seq as m
        torch.manual_seed(0)
        model = m.Seq2SeqTransformer(task.vocab_size, 16, 2, 1, 32, 0.0, 16).eval()
    else:
        import companion.keras.seq2seq as m
        keras.utils.set_random_seed(0)
        model = m.Seq2SeqTransformer(task.vocab_size, 16, 2, 1, 32, 0.0, 16)
    ref = m.teacher_forced_log_probs(model, part.src, tin)
    lp = decoding.sequence_log_prob(*m.step_function(model, part.src), tout)
    assert np.abs(lp - np.take_along_axis(ref, tout[..., None], -1)[..., 0].sum(1)).max() < 1e-4
    future = tin.copy()
    future[:, -1] = 3  # changing the last decoder input must not change earlier positions
    ref2 = m.teacher_forced_log_probs(model, part.src, future)
    assert np.abs(ref2[:, :-1] - ref[:, :-1]).max() < 1e-5


def test_scheduled_sampling_without_feeding_is_teacher_forcing(task):
    import companion.torch as ct
    from companion.torch.seq2seq import scheduled_sampling_loss, seq2seq_loss

    torch.manual_seed(0)
    model = ct.Seq2SeqGRU(task.vocab_size, 8, 12, attention="additive").eval()
    tin, tout = task.test.decoder_io()
    batch = tuple(torch.as_tensor(a[:32]) for a in (task.test.src, tin, tout))
    with torch.no_grad():
        a = seq2seq_loss(model, batch)
        b = scheduled_sampling_loss(lambda: 0.0)(model, batch)
        c = scheduled_sampling_loss(lambda: 1.0)(model, batch)
    assert abs(a.item() - b.item()) < 1e-5 and abs(a.item() - c.item()) > 1e-4


def test_bad_arguments():
    import companion.torch as ct

    with pytest.raises(ValueError, match="attention"):
        ct.Seq2SeqGRU(10, attention="bahdanau")
    with pytest.raises(ValueError, match="divisible"):
        ct.Seq2SeqTransformer(10, d_model=10, nhead=3)


def test_errata_entries_run_the_failing_call():
    from companion.errata import seq2seq, table

    assert len(seq2seq.ENTRIES) == 7
    for e in seq2seq.ENTRIES[:-1]:
        text = e.correct()
        assert text.split(":")[0] in {"TypeError", "AttributeError", "RuntimeError", "AssertionError"}, text
    assert "15 ids" in seq2seq.ENTRIES[-1].correct()
    assert len(table(seq2seq.ENTRIES)) == 7


def test_autoregressive_rollout_of_a_next_item_model():
    """A 'model' that always predicts last token + 1 rolls out 3, 4, 5; EOS (2) absorbs."""
    V = 8

    def last_logits(x):
        z = np.full((len(x), V), -9.0)
        z[np.arange(len(x)), np.minimum(x[:, -1] + 1, V - 1)] = 9.0
        return z

    step, st = decoding.autoregressive(last_logits, np.array([[0, 2], [0, 1]]), eos=2)
    seqs, _ = decoding.greedy(step, st, 2, 3)
    assert seqs[0].tolist() == [3, 4, 5] and seqs[1].tolist() == [2, 2, 2]
    step, st = decoding.autoregressive(last_logits, np.array([[0, 1]]), eos=2, bos=7)
    seqs, lp = decoding.greedy(step, st, 1, 3, bos=7)
    assert seqs[0].tolist() == [2, 2, 2] and np.isfinite(lp).all()


def test_no_repeats_excludes_history_and_own_output():
    """A model that always prefers token 2, then 3, ...: with no_repeats it must skip the history and itself."""
    V = 7

    def step(tokens, state):
        logp = np.log(np.array([0, 0, 0.4, 0.3, 0.15, 0.1, 0.05]))[None].repeat(len(tokens), 0)
        return logp, state

    with np.errstate(divide="ignore"):
        st, s0 = decoding.no_repeats(step, None, [np.array([3]), np.array([], dtype=np.int64)], V)
        seqs, lp = decoding.greedy(st, s0, 2, 3, allowed=_allowed(V))
        assert seqs.tolist() == [[2, 4, 5], [2, 3, 4]]
        # renormalised: after removing 3 (history), P(2) = 0.4 / 0.7; then P(4) = 0.15 / 0.3; P(5) = 0.1 / 0.15
        assert np.exp(lp[0]) == pytest.approx(0.4 / 0.7 * 0.15 / 0.3 * 0.1 / 0.15)
        bs, _ = decoding.beam_search(st, s0, 2, 3, 3, allowed=_allowed(V))
        assert all(len(set(r)) == 3 and 3 not in r[:1] for r in bs[0].tolist())  # no repeats in any beam
        assert not ({3} & set(np.concatenate(bs[0]).tolist()))
    with pytest.raises(ValueError, match="outside"):
        decoding.no_repeats(step, None, [np.array([9])], V)


def test_fast_beam_top_width_equals_a_stable_sort():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n, m, w = int(rng.integers(1, 6)), int(rng.integers(400, 2000)), int(rng.integers(1, 6))
        cand = rng.integers(0, 4, size=(n, m)).astype(float)  # many ties
        cand[rng.random((n, m)) < 0.3] = -np.inf
        ref = np.argsort(-cand, axis=1, kind="stable")[:, :w]
        assert (decoding._top_width(cand, w) == ref).all()


def test_top_k_excludes_and_breaks_ties_low():
    scores = np.array([[0.5, 0.9, 0.9, 0.1], [1.0, 2.0, 3.0, 4.0]])
    assert kstep.top_k(scores, 2).tolist() == [[1, 2], [3, 2]]
    assert kstep.top_k(scores, 2, exclude=[[1], [3, 2]]).tolist() == [[2, 0], [1, 0]]
    with pytest.raises(ValueError, match="fewer than k"):
        kstep.top_k(scores, 3, exclude=[[0, 1], []])
    with pytest.raises(ValueError, match="k must be"):
        kstep.top_k(scores, 5)
