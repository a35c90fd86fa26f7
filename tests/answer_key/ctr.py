"""Chapter 11 (click-through prediction with behavior sequences)."""
from . import Exercise


def gauc_by_hand():
    return (3 * 1.0 + 5 * 4 / 6) / 8


def relaimpr_din_pnn():
    return ((0.8698 - 0.5) / (0.8679 - 0.5) - 1) * 100


def activation_unit_params():
    return 64 * 36 + 36 + 36 + 36 + 1


EXERCISES = [
    Exercise("ctr.gauc_by_hand", "GAUC by hand", gauc_by_hand, tol=5e-4,
             hint="compute each user's AUC over their own click/non-click pairs, then weight each by the user's "
                  "number of impressions"),
    Exercise("ctr.relaimpr_din_pnn", "RelaImpr in the corrected numbers", relaimpr_din_pnn, tol=5e-3,
             hint="RelaImpr = ((AUC_model - 0.5) / (AUC_base - 0.5) - 1) x 100, in percent; the base is PNN"),
    Exercise("ctr.activation_unit_params", "Parameters of the activation unit", activation_unit_params, kind="exact",
             hint="the unit's input is [q, k, q - k, q * k]; count weights and biases of both linear layers and "
                  "one PReLU alpha per hidden unit"),
]
