"""neural-style's L-BFGS (full steps, no line search, never stopping early) on one tensor,
in place, in a fixed set of buffers.

``torch.optim.LBFGS`` takes the same steps, but keeps its history only in the parameter's
dtype, and allocates image-sized vectors every iteration: a flat copy of the gradient, two
new history vectors (freeing the oldest two once the history is full) and temporaries for
stopping tests that neural-style's settings never pass. Here the history is a ring of
buffers allocated before the first evaluation and overwritten in turn, the search
direction is worked out in one buffer, and the gradient is read where the closure left it
(``x.grad``): the same arithmetic as torch's, operation for operation, so float32 results
are torch's to the last bit.

At print sizes the history may be kept in bfloat16 (``history_dtype``): half the bytes of
its two image-sized vectors per correction (0.3 GB of the 2048 px scale's 0.6 GB). Each
correction is rounded before its curvature (y.s, y.y) is taken, so the pairs used are
consistent; the rounding (8 significant bits) moves the steps by well under 1 % of the
way travelled over the first 10 iterations on the tests' problem."""

from __future__ import annotations

from collections.abc import Callable

import torch


class LeanLBFGS:
    """L-BFGS over ``x`` (a leaf tensor that requires grad) as ``torch.optim.LBFGS`` runs
    it with ``lr=1``, ``line_search_fn=None``, ``tolerance_grad = tolerance_change = -1``
    and ``max_eval`` past ``max_iter``: the closure fills ``x.grad`` and returns the loss;
    ``step`` evaluates it once first and once after every step but the last."""

    def __init__(
        self, x: torch.Tensor, history: int, history_dtype: torch.dtype = torch.float32
    ) -> None:
        if history < 1:
            raise ValueError("history: at least 1 correction")
        self.x = x
        self.history = history
        self.history_dtype = history_dtype
        self._s: list[torch.Tensor] = []  # steps, oldest first
        self._y: list[torch.Tensor] = []  # gradient changes, oldest first
        self._ro: list[torch.Tensor] = []
        self._spare: list[tuple[torch.Tensor, torch.Tensor]] = []  # allocated, not yet used

    def history_bytes(self) -> int:
        """Bytes the kept corrections hold now."""
        return sum(t.numel() * t.element_size() for t in (*self._s, *self._y))

    def _keep(self, s: torch.Tensor, y: torch.Tensor, ys: torch.Tensor) -> None:
        """A new correction, in the oldest one's buffers once the history is full."""
        if len(self._s) == self.history:
            kept_s, kept_y = self._s.pop(0), self._y.pop(0)
            del self._ro[0]
        else:
            kept_s, kept_y = self._spare.pop()
        self._s.append(kept_s.copy_(s))
        self._y.append(kept_y.copy_(y))
        self._ro.append(1.0 / ys)

    def step(self, closure: Callable[[], torch.Tensor], iterations: int) -> torch.Tensor:
        """``iterations`` L-BFGS steps; returns the first evaluation's loss."""
        x = self.x
        flat = x.detach().view(-1)
        # Every buffer before the first evaluation: the corrections these iterations can
        # make, allocated as they came, would each split a hole the network's temporaries
        # left, which the next pass's then no longer fit (at 1024 px the heap grew by 0.9
        # GB over 40 iterations with 0.3 GB more in use).
        wanted = min(self.history, iterations - 1) - len(self._s) - len(self._spare)
        for _ in range(max(0, wanted)):
            kept_s = torch.empty(flat.numel(), dtype=self.history_dtype, device=flat.device)
            self._spare.append((kept_s, torch.empty_like(kept_s)))
        direction = torch.empty_like(flat)
        previous = torch.empty_like(flat)  # the last gradient; scratch while a step is found
        with torch.enable_grad():
            first = closure()
        rounded = self.history_dtype != flat.dtype
        t = 1.0
        h_diag = 1.0
        al = [0.0] * self.history
        for n in range(1, iterations + 1):
            grad = x.grad.view(-1)
            if n > 1:
                s = direction.mul_(t)
                y = torch.sub(grad, previous, out=previous)
                if rounded:  # the curvature from the correction as it will be kept
                    s.copy_(s.to(self.history_dtype))
                    y.copy_(y.to(self.history_dtype))
                ys = y.dot(s)
                if ys > 1e-10:
                    self._keep(s, y, ys)
                    h_diag = ys / y.dot(y)
                wide = previous if rounded else None
                torch.neg(grad, out=direction)
                for i in range(len(self._s) - 1, -1, -1):
                    al[i] = self._dot(self._s[i], direction, wide) * self._ro[i]
                    direction.add_(self._y[i], alpha=-al[i])
                direction.mul_(h_diag)
                for i in range(len(self._s)):
                    be_i = self._dot(self._y[i], direction, wide) * self._ro[i]
                    direction.add_(self._s[i], alpha=al[i] - be_i)
            else:
                torch.neg(grad, out=direction)
            previous.copy_(grad)
            t = min(1.0, 1.0 / grad.abs().sum()) if n == 1 else 1.0
            if grad.dot(direction) > 1.0:  # torch's gtd > -tolerance_change: not downhill
                break
            flat.add_(direction, alpha=t)
            if n == iterations:
                break
            del grad  # the closure's new gradient may take its place
            with torch.enable_grad():
                closure()
        return first

    @staticmethod
    def _dot(stored: torch.Tensor, vector: torch.Tensor, wide: torch.Tensor | None):
        """``stored . vector`` in float32 (``wide``: a buffer for a bfloat16 ``stored``)."""
        if wide is None:
            return stored.dot(vector)
        return wide.copy_(stored).dot(vector)
