"""Answers to the exercises of the neural-network essentials chapter (notebook 02)."""
import numpy as np

from ..exercises import Expect

_z = np.array([1.0, 2.0, 0.5])
_p = np.exp(_z) / np.exp(_z).sum()

ANSWERS = {
    "softmax_grad": Expect(_p - np.array([0.0, 1.0, 0.0]), rtol=1e-3, atol=1e-3,
                           hint="softmax(z) minus the one-hot label"),
    "mlp_params": Expect(16 * 32 + 32 + 32 + 1, rtol=0, atol=0,
                         hint="each Linear(a, b) has a*b weights and b biases"),
    "bce_grad": Expect(1 / (1 + np.exp(-0.3)) - 1, rtol=1e-3, atol=1e-3, hint="sigmoid(z) - y"),
}
