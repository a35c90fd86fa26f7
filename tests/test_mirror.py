"""The PyTorch/Keras mirror: every model in companion.torch has a Keras twin of the same name, kind
and constructor arguments, in the module of the same name; shared functions have the same
signature; and load_torch makes each twin compute what the PyTorch model computes."""
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import companion  # noqa: F401  (quiet TensorFlow before keras loads)

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
import companion.keras as ck  # noqa: E402
import companion.torch as ct  # noqa: E402

#: From-scratch lesson code that exists only in PyTorch (the chapter writes it out gate by gate).
TORCH_ONLY_CLASSES = {"ScratchLSTMCell", "ScratchGRUCell", "ScratchRNNCell", "ScratchLSTM", "ScratchGRU",
                      "ScratchRNN"}
#: Public functions that belong to one framework only, with the reason.
TORCH_ONLY_FUNCTIONS = {
    "to_device": "moves tensors to a torch.device; Keras places data itself",
    "torch_permutation": "a torch.Generator batch order (Keras batches use NumPy's)",
    "hidden_grad_norms": "autograd through the Scratch… layers' hidden states (lesson code)",
    "set_forget_bias": "Keras sets it by default (unit_forget_bias=True)",
    "scheduled_sampling_loss": "a step-by-step torch loss; Keras trains with train_on_batch (teacher forcing)",
    "deepctr_din": "wraps DeepCTR-Torch's DIN, a PyTorch library (the chapter 11 cross-check)",
}
KERAS_ONLY_FUNCTIONS = {
    "load_torch": "copies PyTorch weights into the Keras twin",
    "attention_mask": "the mask format of keras.layers.MultiHeadAttention",
}
#: Losses follow each framework's convention: torch loss_fn(model, batch), Keras loss(y_true, y_pred).
LOSSES = {"next_item_loss", "purchase_loss", "seq2seq_loss", "hazard_loss", "window_loss", "ctr_loss"}


def _modules(pkg):
    return {m.name: importlib.import_module(f"{pkg.__name__}.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)}


def _own(module, predicate):
    return {n: o for n, o in vars(module).items() if not n.startswith("_") and predicate(o)
            and getattr(o, "__module__", None) == module.__name__}


def _params(fn, drop=("self",)):
    """(name, kind, default) of every named parameter; **kwargs (Keras's name=, dtype=) left out."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()
            if p.name not in drop and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def _is_torch_model(o):
    return inspect.isclass(o) and issubclass(o, torch.nn.Module)


def _is_keras_model(o):
    return inspect.isclass(o) and issubclass(o, (keras.Model, keras.layers.Layer))


def test_same_module_names():
    t, k = set(_modules(ct)), set(_modules(ck))
    assert t - {"porting"} == k - {"porting"}, f"only in torch: {t - k}; only in keras: {k - t}"


def test_every_torch_model_has_a_keras_twin():
    kmods = _modules(ck)
    problems = []
    for name, tmod in _modules(ct).items():
        kmod = kmods.get(name)
        for cname, tcls in _own(tmod, _is_torch_model).items():
            if cname in TORCH_ONLY_CLASSES:
                continue
            kcls = getattr(kmod, cname, None) if kmod else None
            if kcls is None:
                problems.append(f"{tmod.__name__}.{cname} has no twin in companion.keras.{name}")
                continue
            if not _is_keras_model(kcls):
                problems.append(f"companion.keras.{name}.{cname} is not a keras.Model/Layer subclass")
                continue
            tp, kp = _params(tcls.__init__), _params(kcls.__init__)
            if tp != kp:
                problems.append(f"{cname}: torch {tp} vs keras {kp}")
            if getattr(tcls, "causal", None) != getattr(kcls, "causal", None):
                problems.append(f"{cname}: causal differs")
    assert not problems, "\n".join(problems)


def test_keras_models_have_a_torch_twin_too():
    tmods = _modules(ct)
    extra = [f"companion.keras.{name}.{c}" for name, kmod in _modules(ck).items()
             for c in _own(kmod, _is_keras_model) if not hasattr(tmods.get(name), c)]
    assert not extra, extra


def test_torch_only_list_is_short_and_real():
    assert all(n.startswith("Scratch") for n in TORCH_ONLY_CLASSES)
    assert all(hasattr(ct.rnn, n) for n in TORCH_ONLY_CLASSES)


def test_package_namespaces_mirror():
    t, k = set(ct.__all__), set(ck.__all__)
    only_t = t - k - TORCH_ONLY_CLASSES - set(TORCH_ONLY_FUNCTIONS)
    only_k = k - t - set(KERAS_ONLY_FUNCTIONS)
    assert not only_t and not only_k, f"only in torch: {only_t}; only in keras: {only_k}"
    for n in ("fit", "fit_next_item", "evaluate_next_item", "score_next_item", "user_vectors"):
        assert n in t and n in k


def test_shared_functions_have_the_same_signature():
    kmods = _modules(ck)
    problems = []
    for name, tmod in _modules(ct).items():
        for fname, tfn in _own(tmod, inspect.isfunction).items():
            if fname in TORCH_ONLY_FUNCTIONS or fname in LOSSES:
                continue
            kfn = getattr(kmods.get(name), fname, None)
            if kfn is None:
                problems.append(f"{tmod.__name__}.{fname} has no twin in companion.keras.{name}")
            elif _params(tfn) != _params(kfn):
                problems.append(f"{name}.{fname}: torch {_params(tfn)} vs keras {_params(kfn)}")
        for fname in _own(kmods.get(name), inspect.isfunction) if name in kmods else ():
            if fname not in KERAS_ONLY_FUNCTIONS and fname not in LOSSES and not hasattr(tmod, fname):
                problems.append(f"companion.keras.{name}.{fname} has no torch twin")
    assert not problems, "\n".join(problems)


def test_no_model_compiles_itself():
    m = ck.PurchaseLSTM(5)
    assert getattr(m, "optimizer", None) is None or not m.compiled


# ----------------------------------------------------------------------------- load_torch
def _k(a):
    return keras.ops.convert_to_numpy(a)


def _t(a):
    return a.detach().cpu().numpy()


def _seqs(n_items, b=5, length=7, seed=0):
    x = np.random.default_rng(seed).integers(1, n_items, size=(b, length))
    x[0, :3] = 0  # left padding
    return x


@pytest.mark.parametrize("name", ["GRU4Rec", "LSTM4Rec"])
def test_load_torch_rnn_recommenders(name):
    torch.manual_seed(0)
    tm = getattr(ct, name)(20, embedding_dim=8, hidden_size=6, num_layers=2).eval()
    km = ck.load_torch(getattr(ck, name)(20, embedding_dim=8, hidden_size=6, num_layers=2), tm)
    x = _seqs(20)
    with torch.no_grad():
        ref = _t(tm(torch.as_tensor(x)))
    assert np.abs(_k(km(x)) - ref).max() <= 1e-5


def test_load_torch_caser():
    torch.manual_seed(0)
    tm = ct.Caser(30, embedding_dim=8, L=4, n_h=3, n_v=2).eval()
    km = ck.load_torch(ck.Caser(30, embedding_dim=8, L=4, n_h=3, n_v=2), tm)
    for length in (6, 2):  # longer and shorter than L
        x = _seqs(30, length=length)
        with torch.no_grad():
            ref = _t(tm(torch.as_tensor(x)))
        assert np.abs(_k(km(x)) - ref).max() <= 1e-5


def test_load_torch_sasrec():
    torch.manual_seed(0)
    tm = ct.SASRec(30, 8, hidden=16, heads=2, inner=32).eval()
    km = ck.load_torch(ck.SASRec(30, 8, hidden=16, heads=2, inner=32), tm)
    x = _seqs(30, length=8)
    with torch.no_grad():
        ref = _t(tm(torch.as_tensor(x)))
    assert np.abs(_k(km(x))[:, 3:] - ref[:, 3:]).max() <= 1e-5  # positions after the padding


def test_load_torch_purchase_lstm():
    torch.manual_seed(0)
    tm = ct.PurchaseLSTM(6, hidden=5).eval()
    km = ck.load_torch(ck.PurchaseLSTM(6, hidden=5), tm)
    ev = np.array([[0, 0, 1, 2, 1], [1, 1, 2, 1, 2]])
    ca = np.array([[0, 0, 3, 3, 4], [1, 2, 6, 6, 5]])
    with torch.no_grad():
        ref = _t(tm(torch.as_tensor(ev), torch.as_tensor(ca)))
    out = _k(km({"events": ev, "categories": ca}))
    assert out.shape == (2,) and np.abs(out - ref).max() <= 1e-5


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("scratch", [False, True])
def test_load_torch_recurrent_classifier(kind, scratch):
    torch.manual_seed(0)
    tm = ct.RecurrentClassifier(kind, 3, 4, 2, num_layers=2, scratch=scratch).eval()
    km = ck.load_torch(ck.RecurrentClassifier(kind, 3, 4, 2, num_layers=2, scratch=scratch), tm)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    with torch.no_grad():
        ref = _t(tm(torch.as_tensor(x)))
    assert np.abs(_k(km(x)) - ref).max() <= 1e-5


def test_load_torch_forecast_net():
    torch.manual_seed(0)
    tm = ct.LSTMForecastNet(2, 3, 5, 4).eval()
    km = ck.load_torch(ck.LSTMForecastNet(2, 3, 5, 4), tm)
    past = np.random.default_rng(0).normal(size=(3, 6, 2)).astype("float32")
    extra = np.random.default_rng(1).normal(size=(3, 3)).astype("float32")
    with torch.no_grad():
        ref = _t(tm(torch.as_tensor(past), torch.as_tensor(extra)))
    assert np.abs(_k(km([past, extra])) - ref).max() <= 1e-5


def test_load_torch_attention_both_keras_layers():
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    with torch.no_grad():
        mha.in_proj_bias.normal_()
    x = torch.randn(2, 5, 8)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[0, :2] = True
    with torch.no_grad():
        ref = _t(mha(x, x, x, key_padding_mask=pad)[0])
    ours = ck.load_torch(ck.MultiHeadAttention(8, 2), mha)
    out, w = ours(x.numpy(), key_padding_mask=pad.numpy(), need_weights=True)
    assert np.abs(_k(out) - ref).max() <= 1e-5 and _k(w).shape == (2, 2, 5, 5)
    builtin = ck.load_torch(keras.layers.MultiHeadAttention(num_heads=2, key_dim=4), mha)
    from companion.keras.attention import attention_mask

    out2 = builtin(x.numpy(), x.numpy(), attention_mask=attention_mask(pad.numpy()))
    assert np.abs(_k(out2) - ref).max() <= 1e-5
    mine = ct.MultiHeadAttention.from_torch(mha).eval()  # companion torch MHA in, too
    with torch.no_grad():
        causal_ref, causal_w = mine(x, key_padding_mask=pad, causal=True, need_weights=True)
    out3, w3 = ck.load_torch(ck.MultiHeadAttention(8, 2), mine)(x.numpy(), key_padding_mask=pad.numpy(),
                                                                causal=True, need_weights=True)
    assert np.abs(_k(out3) - _t(causal_ref)).max() <= 1e-5
    assert np.abs(_k(w3) - _t(causal_w)).max() <= 1e-6  # incl. the all-masked rows: zero weights


def test_keras_attention_functions_match_torch():
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 2, 2, 5, 4).unbind(0)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[1, :3] = True
    for kw in ({}, {"causal": True}, {"key_padding_mask": pad}, {"key_padding_mask": pad, "causal": True}):
        t_out, t_w = ct.scaled_dot_product_attention(q, k, v, **kw)
        k_kw = {n: (a.numpy() if hasattr(a, "numpy") else a) for n, a in kw.items()}
        k_out, k_w = ck.scaled_dot_product_attention(q.numpy(), k.numpy(), v.numpy(), **k_kw)
        assert np.abs(_k(k_out) - _t(t_out)).max() <= 1e-6 and np.abs(_k(k_w) - _t(t_w)).max() <= 1e-6
    assert np.abs(_k(ck.sinusoidal_positions(7, 6)) - _t(ct.sinusoidal_positions(7, 6))).max() <= 1e-6


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_load_torch_plain_layers(cls):
    torch.manual_seed(0)
    layer = getattr(torch.nn, cls)(3, 4, 2, batch_first=True)
    kcls = {"LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU, "RNN": keras.layers.SimpleRNN}[cls]
    km = keras.Sequential([keras.Input((None, 3))] + [kcls(4, return_sequences=True) for _ in range(2)])
    ck.load_torch(km, layer)
    x = torch.randn(2, 6, 3)
    with torch.no_grad():
        ref = _t(layer(x)[0])
    assert np.abs(_k(km(x.numpy())) - ref).max() <= 1e-5
    scratch = getattr(ct, f"Scratch{cls}").from_torch(layer)  # the Scratch… layers port too
    km2 = keras.Sequential([keras.Input((None, 3))] + [kcls(4, return_sequences=True) for _ in range(2)])
    assert np.abs(_k(ck.load_torch(km2, scratch)(x.numpy())) - ref).max() <= 1e-5


def test_load_torch_sequential_mlp():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    km = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    with torch.no_grad():
        ref = _t(mlp(torch.as_tensor(x)))
    assert np.abs(_k(ck.load_torch(km, mlp)(x)) - ref).max() <= 1e-5


def test_load_torch_refuses_mismatches():
    with pytest.raises(TypeError, match="GRU4Rec"):
        ck.load_torch(ck.LSTM4Rec(10, embedding_dim=4, hidden_size=4), ct.GRU4Rec(10, embedding_dim=4, hidden_size=4))
    with pytest.raises(TypeError, match="does not know"):
        ck.load_torch(keras.layers.Dense(2), torch.nn.Conv1d(1, 1, 1))
    with pytest.raises(ValueError, match="configurations differ"):
        ck.load_torch(ck.SASRec(30, 8, hidden=16, heads=2, inner=32), ct.SASRec(30, 8, hidden=16, heads=4, inner=32))


def test_old_weight_copiers_are_gone():
    import companion.keras as k

    for mod in list(_modules(k).values()) + [k]:
        for gone in ("load_torch_weights", "copy_lstm_weights", "copy_gru_weights", "copy_forecast_weights",
                     "lstm_from_torch", "gru_from_torch", "mha_from_torch", "torch_mha_weights_to_keras"):
            assert not hasattr(mod, gone), f"{mod.__name__}.{gone}"
    assert not hasattr(k.GRU4Rec, "load_torch")
