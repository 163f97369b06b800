"""The Gatys engine's L-BFGS: torch.optim.LBFGS's steps (neural-style's settings) in buffers
allocated once, and a history kept in bfloat16 at print sizes."""

from __future__ import annotations

import pytest
import torch

from stylegraph.nodes.models.lbfgs import LeanLBFGS

SIZE = 64


def _problem():
    """A smooth non-convex loss: a random positive definite quadratic plus ripples, whose
    curvature is negative in places (so some corrections are refused)."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(SIZE, SIZE, generator=generator)
    a = a @ a.T / SIZE + 0.05 * torch.eye(SIZE)
    b = torch.randn(SIZE, generator=generator)
    start = 3 * torch.randn(SIZE, generator=generator)

    def loss(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x @ a @ x - b @ x + 0.5 * torch.cos(2 * x).sum() + 0.01 * x.pow(4).sum()

    return loss, start


def _torch_lbfgs(iterations: int, history: int) -> tuple[torch.Tensor, int]:
    loss, start = _problem()
    x = start.clone().requires_grad_(True)
    optimiser = torch.optim.LBFGS(
        [x],
        lr=1.0,
        max_iter=iterations,
        max_eval=iterations + 1,
        history_size=history,
        tolerance_grad=-1.0,
        tolerance_change=-1.0,
    )
    calls = 0

    def closure():
        nonlocal calls
        optimiser.zero_grad()
        value = loss(x)
        value.backward()
        calls += 1
        return value

    optimiser.step(closure)
    return x.detach(), calls


def _lean(
    iterations: int, history: int, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, int, LeanLBFGS]:
    loss, start = _problem()
    x = start.clone().requires_grad_(True)
    optimiser = LeanLBFGS(x, history, dtype)
    calls = 0

    def closure():
        nonlocal calls
        x.grad = None
        value = loss(x)
        value.backward()
        calls += 1
        return value

    optimiser.step(closure, iterations)
    return x.detach(), calls, optimiser


@pytest.mark.parametrize(("iterations", "history"), [(1, 4), (2, 4), (40, 100), (40, 5), (9, 1)])
def test_the_steps_are_torch_lbfgs_bit_for_bit(iterations, history):
    expected, expected_calls = _torch_lbfgs(iterations, history)
    got, calls, _ = _lean(iterations, history)
    assert calls == expected_calls == iterations
    assert torch.equal(got, expected)


def test_the_problem_refuses_some_corrections_so_that_path_is_compared():
    _, _, optimiser = _lean(40, 100)
    kept = len(optimiser._s)
    assert 0 < kept < 39  # 39 corrections offered, the negative-curvature ones refused


@pytest.mark.parametrize(("iterations", "history"), [(30, 3), (5, 100)])
def test_the_history_is_allocated_before_the_first_evaluation_and_reused(iterations, history):
    """As many correction buffers as the run can fill (the history, or one fewer than the
    iterations) exist before the network's first pass, and no others are made after."""
    loss, start = _problem()
    x = start.clone().requires_grad_(True)
    optimiser = LeanLBFGS(x, history)
    before: set[int] = set()
    used: set[int] = set()

    def closure():
        if not before:
            before.update(t.data_ptr() for pair in optimiser._spare for t in pair)
        x.grad = None
        value = loss(x)
        value.backward()
        used.update(t.data_ptr() for t in (*optimiser._s, *optimiser._y))
        return value

    optimiser.step(closure, iterations)
    used.update(t.data_ptr() for t in (*optimiser._s, *optimiser._y))  # the last step's
    assert len(before) == 2 * min(history, iterations - 1)
    assert len(optimiser._s) == min(history, iterations - 1)
    assert used == before


@pytest.mark.parametrize("iterations", [3, 6, 10])
def test_a_bfloat16_history_keeps_half_the_bytes_and_nearly_the_same_steps(iterations):
    full, _, wide = _lean(iterations, 5)
    half, _, narrow = _lean(iterations, 5, torch.bfloat16)
    assert narrow.history_bytes() * 2 == wide.history_bytes()
    assert wide.history_bytes() == min(5, len(wide._s)) * 2 * SIZE * 4
    loss, start = _problem()
    # within 1 % of the way travelled (bfloat16 keeps 8 bits: 0.4 % rounding per value)
    assert (half - full).norm() < 0.01 * (full - start).norm()
    start_loss, full_loss, half_loss = float(loss(start)), float(loss(full)), float(loss(half))
    assert abs(half_loss - full_loss) < 1e-3 * (start_loss - full_loss)
