"""Diagrams of recurrent networks drawn with matplotlib (chapter 3): the unrolled RNN with the
path back-propagation through time takes, and the LSTM and GRU cells gate by gate.

Each function draws on a given ``ax`` (or a new one) and returns it; nothing is read from files.
The labels use the book's notation (:mod:`companion.torch.rnn`): ``W`` acts on the previous hidden
state, ``U`` on the input.
"""
from __future__ import annotations

__all__ = ["draw_gru_cell", "draw_lstm_cell", "draw_unrolled_rnn"]

_GATE = "#dbe9f6"      # sigmoid / tanh layers (learned weights)
_OP = "#fbe3c8"        # element-wise operations (no weights)
_STATE = "#e4f2df"     # states and inputs
_GRAD = "#c0392b"      # gradients flowing back


def _ax(ax, size):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _box(ax, x, y, text, *, w=0.9, h=0.6, color=_GATE, fontsize=11):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec="black", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _op(ax, x, y, text, *, r=0.22, fontsize=11):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), r, fc=_OP, ec="black", lw=1, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, start, end, *, text=None, offset=(0.0, 0.15), color="black", ls="-", rad=0.0, fontsize=10,
           shrink=0.0):
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, color=color, lw=1.2, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=shrink, shrinkB=shrink, zorder=2))
    if text:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, text, ha="center", va="center", fontsize=fontsize, color=color)


def _line(ax, points, color="black", lw=1.2):
    xs, ys = zip(*points)
    ax.plot(xs, ys, color=color, lw=lw, zorder=1, solid_capstyle="round")


def draw_unrolled_rnn(ax=None, steps: int = 4):
    """The folded RNN (one cell and a loop) and the same network unrolled over ``steps`` steps,
    the loss read at the last step, and (dashed, red) the path of ∂L/∂h_t back through time."""
    if steps < 2:
        raise ValueError(f"steps must be >= 2, got {steps}")
    ax = _ax(ax, (2.0 + 1.9 * steps, 3.4))
    # folded
    _box(ax, 0.0, 0.0, "$h_t$", color=_STATE)
    _box(ax, 0.0, -1.4, "$x_t$", color=_STATE, w=0.7, h=0.5)
    _arrow(ax, (0.0, -1.15), (0.0, -0.3), text="$U$", offset=(0.2, 0))
    _arrow(ax, (0.25, 0.3), (-0.25, 0.3), rad=1.6, text="$W$", offset=(0, 0.62))
    ax.text(1.25, 0.0, "=", fontsize=18, ha="center", va="center")
    # unrolled
    x0, dx = 2.3, 1.9
    _box(ax, x0, 0.0, "$h_0$", color="white", w=0.7)
    labels = [str(t) for t in range(1, steps)] + ["T"]
    for j, t in enumerate(labels):
        x = x0 + dx * (j + 1)
        if j == steps - 2 and steps > 2:
            t = "{T-1}"
        _box(ax, x, 0.0, f"$h_{t}$", color=_STATE)
        _box(ax, x, -1.4, f"$x_{t}$", color=_STATE, w=0.7, h=0.5)
        _arrow(ax, (x, -1.15), (x, -0.3), text="$U$", offset=(0.2, 0))
        prev = x - dx
        gap = steps > 2 and j == steps - 2
        _arrow(ax, (prev + (0.35 if j == 0 else 0.45), 0.0), (x - 0.45, 0.0), text="$W$  ⋯" if gap else "$W$",
               offset=(0, 0.15))
        _arrow(ax, (x - 0.45, -0.2), (prev + (0.35 if j == 0 else 0.45), -0.2), color=_GRAD, ls="--",
               text=r"$\partial L/\partial h$" if j == steps - 1 else None, offset=(0, -0.2), fontsize=9)
    xT = x0 + dx * steps
    _box(ax, xT, 1.4, "$L$", color=_OP, w=0.7, h=0.5)
    _arrow(ax, (xT, 0.3), (xT, 1.15), text="$V$", offset=(0.2, 0))
    ax.text(x0 + dx * (steps + 1) / 2, -2.05,
            "same W, U, b at every step;  dashed: BPTT carries ∂L/∂h back one step at a time",
            ha="center", fontsize=9, color="0.3")
    ax.set_xlim(-0.8, xT + 0.8)
    ax.set_ylim(-2.3, 1.9)
    return ax


def draw_lstm_cell(ax=None):
    """One LSTM step: the cell-state line on top (forget ⊙, then + the gated candidate), the four
    gate layers σ, σ, tanh, σ reading [h_{t-1}, x_t], and h_t = o ⊙ tanh(c_t)."""
    ax = _ax(ax, (6.4, 3.9))
    top, mid, bot = 2.4, 1.1, 0.0
    xs = {"f": 1.2, "i": 2.4, "g": 3.5, "o": 4.7}
    # cell state line
    _line(ax, [(-0.4, top), (6.4, top)])
    _arrow(ax, (6.0, top), (6.6, top))
    ax.text(-0.5, top, "$c_{t-1}$", ha="right", va="center", fontsize=11)
    ax.text(6.7, top, "$c_t$", ha="left", va="center", fontsize=11)
    _op(ax, xs["f"], top, "⊙")
    _op(ax, xs["g"], top, "+")
    # hidden state in, x in, concatenation line
    _line(ax, [(-0.4, bot), (xs["o"], bot)])  # [h_{t-1}, x_t] feeds every gate
    ax.text(-0.5, bot, "$h_{t-1}$", ha="right", va="center", fontsize=11)
    _line(ax, [(0.4, -0.9), (0.4, bot)])
    ax.text(0.4, -1.1, "$x_t$", ha="center", va="top", fontsize=11)
    names = {"f": ("σ", "$f_t$"), "i": ("σ", "$i_t$"), "g": ("tanh", "$g_t$"), "o": ("σ", "$o_t$")}
    for k, (fn, label) in names.items():
        x = xs[k]
        _line(ax, [(x, bot), (x, mid - 0.3)])
        _box(ax, x, mid, fn, w=0.8, h=0.55, fontsize=10)
        ax.text(x + 0.16, mid - 0.52, label, fontsize=10, color="0.25")
    _arrow(ax, (xs["f"], mid + 0.28), (xs["f"], top - 0.22))
    _op(ax, xs["g"], 1.85, "⊙", r=0.2)
    _line(ax, [(xs["i"], mid + 0.28), (xs["i"], 1.85), (xs["g"] - 0.2, 1.85)])
    _arrow(ax, (xs["g"], mid + 0.28), (xs["g"], 1.65))
    _arrow(ax, (xs["g"], 2.05), (xs["g"], top - 0.22))
    # output: h_t = o ⊙ tanh(c_t)
    xh = 5.8
    _line(ax, [(xh, top), (xh, 1.97)])
    _box(ax, xh, 1.75, "tanh", w=0.7, h=0.45, fontsize=9, color=_OP)
    _op(ax, xh, mid, "⊙", r=0.2)
    _arrow(ax, (xh, 1.52), (xh, mid + 0.2))
    _arrow(ax, (xs["o"] + 0.4, mid), (xh - 0.2, mid))
    _line(ax, [(xh, mid - 0.2), (xh, bot)])
    _arrow(ax, (xh, bot), (6.6, bot))
    ax.text(6.7, bot, "$h_t$", ha="left", va="center", fontsize=11)
    ax.set_title("LSTM cell", fontsize=11)
    ax.set_xlim(-1.3, 7.4)
    ax.set_ylim(-1.5, 2.9)
    return ax


def draw_gru_cell(ax=None):
    """One GRU step (PyTorch's convention): reset gate r and update gate z read [h_{t-1}, x_t];
    the candidate n = tanh(U_n x + b_n + r ⊙ (W_n h + b_hn)); h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}."""
    ax = _ax(ax, (6.4, 3.9))
    top, mid, bot = 2.4, 1.1, 0.0
    xz, xr, xn = 1.0, 2.3, 3.9
    # the state line on top: z ⊙ h_{t-1} + (1 − z) ⊙ n
    _line(ax, [(-0.4, top), (6.4, top)])
    _arrow(ax, (6.0, top), (6.6, top))
    ax.text(-0.5, top, "$h_{t-1}$", ha="right", va="center", fontsize=11)
    ax.text(6.7, top, "$h_t$", ha="left", va="center", fontsize=11)
    _op(ax, xz, top, "⊙")
    _op(ax, 5.0, top, "+")
    # h_{t-1} also goes down to the gates, joined by x_t
    _line(ax, [(-0.2, top), (-0.2, bot), (xn, bot), (xn, 0.17)])
    _line(ax, [(0.35, -0.9), (0.35, bot)])
    ax.text(0.35, -1.1, "$x_t$", ha="center", va="top", fontsize=11)
    for x, label in ((xz, "$z_t$"), (xr, "$r_t$")):
        _line(ax, [(x, bot), (x, mid - 0.3)])
        _box(ax, x, mid, "σ", w=0.7, h=0.55)
        ax.text(x + 0.16, mid - 0.52, label, fontsize=10, color="0.25")
    _arrow(ax, (xz, mid + 0.28), (xz, top - 0.22))
    # 1 − z
    _line(ax, [(xz, 1.75), (3.05, 1.75)])
    _box(ax, 3.4, 1.75, "1−z", w=0.7, h=0.4, fontsize=9, color=_OP)
    _op(ax, 5.0, 1.75, "⊙", r=0.2)
    _arrow(ax, (3.75, 1.75), (4.8, 1.75))
    _arrow(ax, (5.0, 1.95), (5.0, top - 0.22))
    # the candidate: r acts on (W_n h_{t-1} + b_hn) inside the tanh
    _box(ax, xn, mid, "tanh", w=0.8, h=0.55, fontsize=10)
    ax.text(xn + 0.16, mid - 0.52, "$n_t$", fontsize=10, color="0.25")
    _line(ax, [(xn + 0.4, mid), (5.0, mid)])
    _arrow(ax, (5.0, mid), (5.0, 1.55))
    _op(ax, xn, 0.35, "⊙", r=0.18, fontsize=9)
    _line(ax, [(xr, mid + 0.28), (xr, 1.5), (3.2, 1.5), (3.2, 0.35), (xn - 0.18, 0.35)])
    _arrow(ax, (xn, 0.53), (xn, mid - 0.28))
    ax.text(xn + 0.25, 0.12, "$W_n h_{t-1}$", fontsize=8, color="0.3", va="top")
    ax.set_title("GRU cell", fontsize=11)
    ax.set_xlim(-1.3, 7.4)
    ax.set_ylim(-1.5, 2.9)
    return ax
