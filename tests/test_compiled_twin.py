"""The compiled twin against the numpy twin, its gradients, and why its batches can be cut anywhere.

The compiled twin (:mod:`sim.model.compiled`) is a second solver of the same
equations, from the same rate functions: the numpy twin is its reference.
Each test here fails for a definite kind of mistake: a wrong index or step
in a compiled part (parity), NaN leaking from a value a ``where`` discards
(gradients), a result that depends on the batch it was computed in
(reproducibility: a calibration's draws would then depend on the number of
workers).
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from sim.calibration.problem.models import twin_batch  # noqa: E402
from sim.calibration.problem.problem import load_problem  # noqa: E402
from sim.calibration.problem.twin import Evaluator, ProblemTwin  # noqa: E402
from sim.model.mechanisms.interaction import feedback, fluid  # noqa: E402

PARITY = 1e-4
"""Largest |log(compiled / numpy)| allowed on any target (the issue's bound; measured: 5e-5)."""


@pytest.fixture(scope="module")
def baseline():
    problem = load_problem("experiments/calibrate-baseline.yaml")
    return problem, ProblemTwin(problem)


def prior_draws(problem, count: int, seed: int) -> np.ndarray:
    return problem.space.from_cube(np.random.default_rng(seed).random((count, len(problem.space))))


@pytest.mark.slow
def test_the_compiled_twin_agrees_with_the_numpy_twin_on_1000_prior_draws(baseline):
    """Every target of the baseline calibration within 1e-4 in log of the numpy twin, on 1,000 draws of the
    prior (which span every parameter's whole range: the push moved across its six weeks, officials from 50,000
    to 2 million, the interaction loop's feedback on and off)."""
    problem, twin = baseline
    z = prior_draws(problem, 1000, seed=2026)
    compiled = twin(z)
    reference = np.vstack([twin_batch(problem, z[i:i + 16]) for i in range(0, len(z), 16)])
    assert not np.isnan(reference).any(), "a prior draw the scenario refuses: the parity would not be checked there"
    worst = np.max(np.abs(np.log(compiled / reference)), axis=0)
    assert np.all(worst < PARITY), dict(zip(problem.targets.names, worst))


def test_the_compiled_twin_agrees_with_the_numpy_twin_on_a_few_draws(baseline):
    """The quick tier's parity: a few prior draws and the prior's start."""
    problem, twin = baseline
    z = np.vstack([problem.space.start(), prior_draws(problem, 7, seed=7)])
    worst = np.max(np.abs(np.log(twin(z) / twin_batch(problem, z))), axis=0)
    assert np.all(worst < PARITY), dict(zip(problem.targets.names, worst))


def test_a_point_has_the_same_value_in_any_batch(baseline):
    """Bit for bit: a point's value does not depend on how many points are evaluated with it, nor where it sits in
    the batch, so the chains' draws do not depend on how they were packed onto workers."""
    problem, twin = baseline
    z = prior_draws(problem, 40, seed=11)
    whole = twin(z)
    for size in (1, 3, 17):
        assert np.array_equal(twin(z[:size]), whole[:size])
    reordered = twin(z[::-1])
    assert np.array_equal(reordered[::-1], whole)


def test_the_evaluator_refuses_nothing_the_numpy_twin_accepts(baseline):
    problem, _ = baseline
    evaluator = Evaluator(problem)
    assert evaluator.compiled is not None, evaluator.note


def test_feedback_and_fluid_have_finite_gradients_where_their_values_are_undefined():
    """The twin's feedback reads NaN where a desk has no message in its window; a ``where`` that discards an
    arithmetic result on NaN still sends NaN into the gradient.  Differentiate the feedback's chain (fluid
    responsiveness -> prompt share -> appeal) at an empty window and at a busy one, with respect to every input."""
    import jax.numpy as jnp

    rules = feedback.FeedbackParameters(prior_messages=10.0, reference_share=0.8, elasticity=1.0,
                                        reference_median_hours=6.0, delay_elasticity=0.5,
                                        unfollow_rate_per_day=0.01)

    def appeal_of(inputs):
        received, closed, answered, waiting, service, within, reference = inputs
        prompt, median = fluid.responsiveness(received, closed, answered, waiting, service, within)
        return feedback.appeal(rules._replace(reference_share=reference), feedback.prompt_share(
            rules._replace(reference_share=reference), received, prompt), median)

    with jax.enable_x64(True):
        for window in ([0.0, 0.0, 0.0, 0.0, 0.01, 1.0, 0.8], [120.0, 100.0, 90.0, 40.0, 0.01, 1.0, 0.8]):
            gradient = jax.grad(appeal_of)(jnp.asarray(window))
            assert np.all(np.isfinite(np.asarray(gradient))), (window, gradient)


def test_a_fluid_piece_has_finite_gradients_at_every_regime():
    """Under-loaded, over-loaded, switching within the piece, and sitting on the boundary: the piece's
    closed forms take series near zero rates, which must not leak NaN into the gradient either."""
    import jax.numpy as jnp

    def end_of_piece(args, x):
        lam, mu, theta = args
        staffing = fluid.Staffing(on_duty=2.0, capacity=2.0 * mu, staff_days=2.0 * 0.25)
        under, over = fluid.relaxation(mu, 0.25), fluid.relaxation(theta, 0.25)
        end, area, waiting = fluid.fluid_piece(x, lam, mu, theta, staffing, 0.25, under, over)
        return end + area + waiting

    with jax.enable_x64(True):
        for x, lam in ((0.0, 10.0), (5.0, 10.0), (5.0, 100.0), (0.5, 400.0), (2.0, 320.0)):
            gradient = jax.grad(end_of_piece)(jnp.asarray([lam, 160.0, 0.5]), jnp.asarray(x))
            assert np.all(np.isfinite(np.asarray(gradient))), (x, lam, gradient)
