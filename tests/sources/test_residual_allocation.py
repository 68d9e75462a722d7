"""The one residual-allocation engine: hand-worked families in both prior modes."""

import numpy as np
import pytest

from pipeline.sources.residual_allocation import allocate_residuals, descendant_totals

NAN = np.nan


def _family(parent, children, **options):
    """A parent (level 0) and its children (level 1); children given as (employment, prior)."""
    employment = np.array([parent, *(value for value, _ in children)], dtype="float64")
    prior = np.array([NAN, *(weight for _, weight in children)], dtype="float64")
    return allocate_residuals(
        employment,
        np.isnan(employment),
        np.array([-1] + [0] * len(children)),
        np.array([0] + [1] * len(children)),
        prior,
        **options,
    )


@pytest.mark.parametrize("priors_are_estimates", [True, False])
def test_complete_family_splits_its_residual_in_proportion(priors_are_estimates):
    # residual 100 - 40 = 60 split 7.5 : 42 (module docstring example)
    result = _family(
        100.0, [(40.0, NAN), (NAN, 7.5), (NAN, 42.0)], priors_are_estimates=priors_are_estimates
    )
    assert result[2:] == pytest.approx([60 * 7.5 / 49.5, 60 * 42 / 49.5])
    assert result[2:].sum() == pytest.approx(60.0)


def test_incomplete_family_is_not_scaled_up():
    # establishments 2 + 1 of the parent's 5 are listed: the residual 60 is only an upper
    # bound, so priors summing to 30 stay 30; the complete family would be scaled to 60
    employment = np.array([100.0, 40.0, NAN, NAN])
    options = dict(
        withheld=np.isnan(employment),
        parent=np.array([-1, 0, 0, 0]),
        level=np.array([0, 1, 1, 1]),
        prior=np.array([NAN, NAN, 10.0, 20.0]),
        priors_are_estimates=True,
    )
    incomplete = allocate_residuals(employment, establishments=np.array([5.0, 2, 1, 1]), **options)
    complete = allocate_residuals(employment, establishments=np.array([4.0, 2, 1, 1]), **options)
    assert incomplete[2:] == pytest.approx([10.0, 20.0])
    assert complete[2:] == pytest.approx([20.0, 40.0])


def test_estimates_pass_down_the_hierarchy_and_ranges_clip():
    # total 100 = A 30 + B (withheld); B = 70 is split among B1, B2 (priors 1 : 1), but B2's
    # published range caps it at 20, so B1 gets 35 and B2 20
    employment = np.array([100.0, 30.0, NAN, NAN, NAN])
    result = allocate_residuals(
        employment,
        np.isnan(employment),
        parent=np.array([-1, 0, 0, 2, 2]),
        level=np.array([0, 1, 1, 2, 2]),
        prior=np.array([NAN, NAN, 50.0, 1.0, 1.0]),
        upper=np.array([NAN, NAN, NAN, NAN, 20.0]),
        priors_are_estimates=True,
    )
    assert result.tolist() == pytest.approx([100.0, 30.0, 70.0, 35.0, 20.0])


def test_the_two_modes_differ_only_where_the_residual_cannot_be_split():
    # no parent row: CBP priors stand, QCEW weights give nothing
    employment = np.array([NAN, NAN])
    arguments = (employment, np.isnan(employment), np.array([-1, -1]), np.array([1, 1]))
    prior = np.array([3.0, 4.0])
    as_estimates = allocate_residuals(*arguments, prior, priors_are_estimates=True)
    as_weights = allocate_residuals(*arguments, prior, priors_are_estimates=False)
    assert as_estimates.tolist() == [3.0, 4.0]
    assert np.isnan(as_weights).all()
    # priors summing to 0: CBP keeps them (0), QCEW falls back to establishments, then equal
    zero = [(NAN, 0.0), (NAN, 0.0)]
    assert _family(10.0, zero, priors_are_estimates=True)[1:].tolist() == [0.0, 0.0]
    fallback = _family(10.0, zero, priors_are_estimates=False, fallback=np.array([0, 1.0, 3.0]))
    assert fallback[1:] == pytest.approx([2.5, 7.5])
    assert _family(10.0, zero, priors_are_estimates=False)[1:] == pytest.approx([5.0, 5.0])


def test_floors_from_known_descendants():
    # P 100 = P1 30 + P2 (withheld, its child P21 discloses 40) + P3 (withheld, leaf weight 2);
    # P2's leaf P22 is withheld with weight 1. Residual 70: P2 first gets its 40, the other
    # 30 split by the weights below (P2: 1, P3: 2) -> P2 50, P3 20; then P22 = 50 - 40 = 10.
    employment = np.array([100.0, 30.0, NAN, NAN, 40.0, NAN])
    withheld = np.isnan(employment)
    parent = np.array([-1, 0, 0, 0, 2, 2])
    level = np.array([0, 1, 1, 1, 2, 2])
    weights = np.array([0.0, 0.0, 5.0, 2.0, 0.0, 1.0])
    floor, prior = descendant_totals(employment, withheld, parent, level, weights)
    assert floor.tolist() == [0.0, 0.0, 40.0, 0.0, 0.0, 0.0]
    assert prior.tolist() == [0.0, 0.0, 1.0, 2.0, 0.0, 1.0]
    result = allocate_residuals(
        employment, withheld, parent, level, prior, floor=floor, priors_are_estimates=False
    )
    assert result.tolist() == pytest.approx([100.0, 30.0, 50.0, 20.0, 40.0, 10.0])
