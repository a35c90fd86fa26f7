"""Attention by hand, SASRec (PyTorch and Keras), and the attention errata."""
import numpy as np
import pytest

import companion

torch = pytest.importorskip("torch")
F = torch.nn.functional

from companion.torch.attention import (  # noqa: E402
    MultiHeadAttention, allowed_mask, scaled_dot_product_attention, sinusoidal_positions)
from companion.torch.sasrec import SASRec  # noqa: E402

B, L, E, H = 3, 7, 8, 2


@pytest.fixture()
def data():
    companion.seed_everything(0, frameworks=["torch"])
    x = torch.randn(B, L, E)
    pad = torch.zeros(B, L, dtype=torch.bool)
    pad[0, :3] = True  # left padding
    pad[1, :1] = True
    return x, pad


def _torch_mha():
    mha = torch.nn.MultiheadAttention(E, H, batch_first=True).eval()
    with torch.no_grad():  # non-zero biases so that their copy is tested too
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    return mha


def test_sdpa_matches_torch(data):
    x, pad = data
    q, k, v = torch.randn(3, B, H, L, 4).unbind(0)
    for kw, ref_kw in [
        (dict(key_padding_mask=pad), dict(attn_mask=allowed_mask(L, L, key_padding_mask=pad))),
        (dict(causal=True), dict(is_causal=True)),
        ({}, {}),
    ]:
        ours, w = scaled_dot_product_attention(q, k, v, **kw)
        ref = F.scaled_dot_product_attention(q, k, v, **ref_kw)
        assert torch.allclose(ours, ref, atol=1e-6)
        assert torch.allclose(w.sum(-1), torch.ones(()), atol=1e-6)


def test_fully_masked_rows_are_zero_not_nan(data):
    x, pad = data
    out, w = scaled_dot_product_attention(x, x, x, key_padding_mask=pad, causal=True)
    assert torch.isfinite(out).all()
    assert (w[0, :3] == 0).all() and (out[0, :3] == 0).all()  # query rows 0..2 of user 0 see only padding


def test_mha_from_torch_matches(data):
    x, pad = data
    mha = _torch_mha()
    ours = MultiHeadAttention.from_torch(mha).eval()
    ref, ref_w = mha(x, x, x, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
    out, w = ours(x, key_padding_mask=pad, need_weights=True)
    assert (out - ref).abs().max() <= 1e-6 and (w - ref_w).abs().max() <= 1e-6
    cm = torch.nn.Transformer.generate_square_subsequent_mask(L)
    ref, _ = mha(x, x, x, attn_mask=cm, is_causal=True)
    out, _ = ours(x, causal=True)
    assert (out - ref).abs().max() <= 1e-6
    # cross-attention (queries of another length)
    y = torch.randn(B, 4, E)
    ref, _ = mha(y, x, x, key_padding_mask=pad)
    out, _ = ours(y, x, x, key_padding_mask=pad)
    assert (out - ref).abs().max() <= 1e-6


def test_permutation_equivariance(data):
    x, _ = data
    mha = MultiHeadAttention(E, H).eval()
    perm = torch.randperm(L)
    out, _ = mha(x)
    out_p, _ = mha(x[:, perm])
    assert torch.allclose(out[:, perm], out_p, atol=1e-6)


def test_sinusoidal_dot_products_depend_on_offset_only():
    pe = sinusoidal_positions(60, 16).double()
    g = pe @ pe.T
    for k in (1, 5, 17):
        d = torch.diagonal(g, offset=k)
        assert torch.allclose(d, d[0].expand_as(d), atol=1e-5)


def _sasrec(**kw):
    companion.seed_everything(0, frameworks=["torch"])
    return SASRec(30, 8, hidden=16, heads=2, inner=32, **kw).eval()


def test_sasrec_contract_causal_and_padding():
    m = _sasrec()
    x = torch.tensor([[0, 0, 0, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8]])
    out = m(x)
    assert out.shape == (2, 8, 30) and m.causal
    # causal: changing the last item changes nothing before it
    x2 = x.clone()
    x2[:, -1] = 9
    assert torch.allclose(m(x2)[:, :-1], out[:, :-1], atol=1e-6)
    # padding: the same sequence with less padding gives the same outputs
    assert torch.allclose(m(x[:1, 3:]), out[:1, 3:], atol=1e-5)


def test_sasrec_trains_without_nan_on_left_padding():
    m = _sasrec().train()
    x = torch.tensor([[0, 0, 0, 0, 0, 0, 3, 4], [1, 2, 3, 4, 5, 6, 7, 8]])
    from companion.torch.next_item import next_item_loss

    y = torch.roll(x, -1, 1)
    y[:, -1] = 5
    y[x == 0] = 0
    loss = next_item_loss(m, (x, y))
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)


def test_sasrec_variants_run():
    for kw in (dict(positions=None), dict(positions="sinusoidal"), dict(num_blocks=1)):
        assert _sasrec(**kw)(torch.tensor([[0, 1, 2]])).shape == (1, 3, 30)
    with pytest.raises(ValueError):
        _sasrec()(torch.ones(1, 9, dtype=torch.long))  # longer than max_len


def test_keras_mha_and_sasrec_match_torch(data):
    keras = pytest.importorskip("keras")
    from companion.keras import SASRec as KSASRec, load_torch
    from companion.keras.attention import attention_mask

    x, pad = data
    mha = _torch_mha()
    layer = load_torch(keras.layers.MultiHeadAttention(num_heads=mha.num_heads, key_dim=mha.embed_dim // mha.num_heads),
                       mha)
    ref, _ = mha(x, x, x, key_padding_mask=pad)
    out = keras.ops.convert_to_numpy(layer(x.numpy(), x.numpy(), attention_mask=attention_mask(pad.numpy())))
    assert np.abs(out - ref.detach().numpy()).max() <= 1e-5
    ours = MultiHeadAttention.from_torch(mha).eval()
    ref, _ = ours(x, key_padding_mask=pad, causal=True)
    mask = attention_mask(pad.numpy(), causal=True)
    out = keras.ops.convert_to_numpy(layer(x.numpy(), x.numpy(), attention_mask=mask))
    sees = keras.ops.convert_to_numpy(mask).any(-1)  # query rows with at least one allowed key
    assert np.abs(out - ref.detach().numpy())[sees].max() <= 1e-5
    # rows that see nothing: Keras's fused path spreads them uniformly, the scores path zeroes them like ours
    out, _ = layer(x.numpy(), x.numpy(), attention_mask=mask, return_attention_scores=True)
    assert np.abs(keras.ops.convert_to_numpy(out) - ref.detach().numpy()).max() <= 1e-5

    t = _sasrec()
    with torch.no_grad():
        for name, p in t.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.1)
    k = load_torch(KSASRec(30, 8, hidden=16, heads=2, inner=32), t)
    ids = np.array([[0, 0, 0, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8]])
    diff = np.abs(keras.ops.convert_to_numpy(k(ids, training=False)) - t(torch.from_numpy(ids)).detach().numpy())
    assert diff.max() <= 1e-5
    wk = k.attention_maps(ids)
    wt = t.attention_maps(ids)
    assert np.abs(wk[1] - wt[1]).max() <= 1e-5


def test_errata_numbers():
    from companion.errata import attention as a

    assert a.dot_score() == pytest.approx(0.32)
    np.testing.assert_allclose(a.softmax_of_printed_scores(), [0.311, 0.331, 0.358], atol=5e-4)
    assert a.weighted_sum_of_values() == pytest.approx(0.8047, abs=1e-4)
    assert all(e.topic == "attention" for e in a.ENTRIES)
    for e in a.ENTRIES:
        assert e.correct() is not None


def test_sasrec_position_scale_multiplies_the_positions():
    scaled = _sasrec(position_scale=2.0)
    plain = _sasrec()
    plain.load_state_dict(scaled.state_dict())
    with torch.no_grad():
        plain.position_embedding.weight.mul_(2.0)
    x = torch.tensor([[0, 0, 3, 4, 5, 6, 7, 8]])
    assert torch.allclose(scaled(x), plain(x), atol=1e-5)
    assert not torch.allclose(_sasrec()(x), plain(x), atol=1e-3)  # the scale does change the model
    assert _sasrec().position_scale == 1.0 and scaled.config["position_scale"] == 2.0  # default unchanged
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="position_scale"):
            _sasrec(position_scale=bad)


def test_keras_sasrec_scaled_sinusoidal_matches_torch():
    keras = pytest.importorskip("keras")
    from companion.keras import SASRec as KSASRec, load_torch

    tm = _sasrec(positions="sinusoidal", position_scale=0.02)
    km = load_torch(KSASRec(30, 8, hidden=16, heads=2, inner=32, positions="sinusoidal", position_scale=0.02), tm)
    x = np.array([[0, 0, 0, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8]])
    with torch.no_grad():
        ref = tm(torch.from_numpy(x)).numpy()
    out = keras.ops.convert_to_numpy(km(x, training=False))  # also a torch tensor under KERAS_BACKEND=torch
    assert np.abs(out - ref).max() <= 1e-5
    with pytest.raises(ValueError, match="configurations differ"):
        load_torch(KSASRec(30, 8, hidden=16, heads=2, inner=32, positions="sinusoidal"), tm)
