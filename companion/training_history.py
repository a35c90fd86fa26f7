"""The record a training run leaves behind (shared by the PyTorch and Keras loops)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch losses and validation scores of one training run.

    ``best_epoch`` is 1-based; the model handed back holds that epoch's weights.
    """

    train_loss: list = field(default_factory=list)
    valid: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = float("nan")

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def improved(self, score: float, mode: str) -> bool:
        """Whether ``score`` beats the best so far (``mode`` is ``"max"`` or ``"min"``)."""
        if self.best_epoch == 0:
            return True
        return score > self.best_score if mode == "max" else score < self.best_score

    def seconds_to_best(self) -> float:
        """Training time (s) up to and including the best epoch."""
        return float(sum(self.epoch_seconds[: self.best_epoch]))


def check_mode(mode: str) -> str:
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    return mode
