"""A tiny stand-in for an ML framework, for the conformance suite's toy integration."""

from __future__ import annotations

__version__ = "1.2.0"


class TrainingError(RuntimeError):
    """Raised by the toy framework on bad input: a *user* error."""


class Base:
    def score(self, data: list[float]) -> float:
        """Mean of the data times the learned weight."""
        return sum(data) / len(data) * getattr(self, "weight", 1.0)


class Model(Base):
    """A model with a fit method, a classmethod, a staticmethod and an inherited method."""

    def __init__(self, lr: float = 0.1) -> None:
        self.lr = lr

    def fit(self, data: list[float], epochs: int = 1) -> Model:
        """Learn a weight from data."""
        if not data:
            raise TrainingError("empty data")
        self.weight = sum(data) * self.lr * epochs
        return self

    @classmethod
    def from_config(cls, lr: float) -> Model:
        """Build a model from a config value."""
        return cls(lr=lr)

    @staticmethod
    def helper(x: int, y: int = 2) -> int:
        """Add two numbers."""
        return x + y


class SubModel(Model):
    """Inherits fit and score."""


def train(data: list[float], rounds: int = 3) -> Model:
    """A native train function that calls the estimator API inside (nested patched call)."""
    return Model().fit(data, epochs=rounds)
