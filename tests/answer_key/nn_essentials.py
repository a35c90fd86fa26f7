"""Chapter 2 (neural-network essentials)."""
import numpy as np

from . import Exercise


def softmax_grad():
    z = np.array([1.0, 2.0, 0.5])
    p = np.exp(z) / np.exp(z).sum()
    return p - np.array([0.0, 1.0, 0.0])


def mlp_params():
    return 16 * 32 + 32 + 32 * 1 + 1


def bce_grad():
    return 1 / (1 + np.exp(-0.3)) - 1


EXERCISES = [
    Exercise("nn_essentials.softmax_grad", "softmax + cross-entropy gradient", softmax_grad, tol=5e-4,
             hint="the gradient with respect to the logits is the predicted distribution minus the one-hot label"),
    Exercise("nn_essentials.mlp_params", "parameters of the MLP", mlp_params, kind="exact",
             hint="each Linear(a, b) has a*b weights and b biases"),
    Exercise("nn_essentials.bce_grad", "sigmoid + binary cross-entropy gradient", bce_grad, tol=5e-4,
             hint="the binary case of 'prediction minus label'"),
]
