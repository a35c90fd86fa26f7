"""Checks that need a CUDA GPU (``pytest -m gpu``); every test here skips cleanly without one.

Tolerances: the fused kernels sum in another order than the code written out, so float32 results
agree to rounding, not bit for bit. TF32 is switched off for these checks (on Ampere and later GPUs
it would round matrix products to 10 mantissa bits and the differences would be ~1e-3).
"""
import numpy as np
import pytest

import companion

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

#: cuDNN LSTM vs ScratchLSTM, float32, 50 steps: max |difference| of the outputs.
LSTM_TOL = 1e-5
#: fused F.scaled_dot_product_attention (flash / memory-efficient kernels) vs the hand-written one.
SDPA_TOL = 1e-5


@pytest.fixture(autouse=True)
def _no_tf32():
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def test_device_is_cuda_and_training_runs_there():
    import pandas as pd

    from companion.data import leave_one_out
    from companion.torch import GRU4Rec, evaluate_next_item, fit_next_item

    assert companion.device().type == "cuda" and companion.device_name().startswith("cuda")
    rng = np.random.default_rng(0)
    rows = [(u, int(i), t) for u in range(1, 41) for t, i in enumerate(rng.integers(1, 15, size=10))]
    split = leave_one_out(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))
    companion.seed_everything(0)
    model = GRU4Rec(split.n_items, embedding_dim=8, hidden_size=8)
    hist = fit_next_item(model, split, max_len=8, epochs=2)  # default device: companion.device()
    assert next(model.parameters()).device.type == "cuda" and hist.epochs == 2
    assert 0.0 <= evaluate_next_item(model, split, "test", max_len=8)["ndcg@10"] <= 1.0


def test_torch_fit_moves_batches_to_the_device():
    from companion.data import batch_stream
    from companion.torch import fit

    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x.sum(1) > 0).astype("float32")
    net = torch.nn.Linear(3, 1)
    seen = []

    def loss_fn(m, batch):
        seen.append(batch[0].device.type)
        return torch.nn.functional.binary_cross_entropy_with_logits(m(batch[0]).squeeze(1), batch[1])

    fit(net, batch_stream(x, y, batch_size=16), loss_fn, epochs=1, device=companion.device())
    assert set(seen) == {"cuda"} and net.weight.device.type == "cuda"


def test_cudnn_lstm_matches_the_scratch_cell():
    from companion.torch import ScratchLSTM

    torch.manual_seed(0)
    fused = torch.nn.LSTM(32, 64, num_layers=2, batch_first=True).cuda()
    scratch = ScratchLSTM.from_torch(fused)
    x = torch.randn(16, 50, 32, device="cuda")
    with torch.no_grad():
        (out_f, (h_f, c_f)), (out_s, (h_s, c_s)) = fused(x), scratch(x)
    assert torch.backends.cudnn.is_available()
    err = max((out_f - out_s).abs().max().item(), (h_f - h_s).abs().max().item(), (c_f - c_s).abs().max().item())
    assert err <= LSTM_TOL, err


def test_fused_attention_matches_the_hand_written_one():
    import torch.nn.functional as F

    from companion.torch.attention import allowed_mask, scaled_dot_product_attention

    torch.manual_seed(0)
    q, k, v = torch.randn(3, 4, 2, 50, 32, device="cuda").unbind(0)
    ours, _ = scaled_dot_product_attention(q, k, v, causal=True)
    fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert (ours - fused).abs().max().item() <= SDPA_TOL
    pad = torch.zeros(4, 50, dtype=torch.bool, device="cuda")
    pad[0, :10] = True
    ours, _ = scaled_dot_product_attention(q, k, v, key_padding_mask=pad)
    fused = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed_mask(50, 50, key_padding_mask=pad, device="cuda"))
    assert (ours - fused).abs().max().item() <= SDPA_TOL


def test_tensorflow_grows_gpu_memory_instead_of_taking_it():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the TensorFlow backend only")
    import tensorflow as tf

    import companion.keras  # noqa: F401  (configures TensorFlow on import)

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        pytest.skip("TensorFlow sees no GPU (tensorflow-cpu)")
    assert all(tf.config.experimental.get_memory_growth(g) for g in gpus)
