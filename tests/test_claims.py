import numpy as np
import pytest

from vglib import claims


def test_a_true_claim_prints_the_numbers_it_compared_and_returns_nothing(capsys):
    assert claims.that("layer 1 gets less", 0.341, "<", 0.867) is None
    assert capsys.readouterr().out == "✓ layer 1 gets less: 0.341 < 0.867\n"
    assert claims.checked()[-1] == "layer 1 gets less"


@pytest.mark.parametrize("value, relation, bound", [
    (0.34, ">", 0.87),         # chapter 3's "ratio above 1" with the values it glued
    (0.30, "<=", 0.25),        # a measured factor explained by a bound it exceeds
    (54, "==", 53),            # "just as often" with 54 and 53
    (23, "==", 0),             # "every unit finds its way back" with 23 still off
    (1.0, "in", (0.0, 0.99)),
    (0.986, "≈", 1.0, ),
])
def test_a_false_claim_raises_naming_the_statement_and_the_numbers(value, relation, bound):
    kwargs = {"rel": 0.005} if relation == "≈" else {}
    with pytest.raises(claims.ClaimError, match="the claim no longer holds: the sentence"):
        claims.that("the sentence", value, relation, bound, **kwargs)


def test_arrays_must_hold_elementwise_and_the_failures_are_counted(capsys):
    claims.that("every layer keeps half", np.array([0.6, 0.7, 0.9]), ">", 0.5)
    assert "(all 3)" in capsys.readouterr().out
    with pytest.raises(claims.ClaimError, match="fails for 2 of 3 values"):
        claims.that("every layer keeps half", np.array([0.6, 0.4, 0.1]), ">", 0.5)


def test_agreement_needs_an_explicit_tolerance_that_is_not_too_wide():
    claims.that("agree to two digits", 1.004, "≈", 1.0, rel=0.005)
    with pytest.raises(claims.ClaimError):
        claims.that("agree to two digits", 1.006, "≈", 1.0, rel=0.005)
    claims.that("close to zero", 1e-9, "≈", 0.0, abs=1e-8)
    with pytest.raises(ValueError, match="needs a tolerance"):
        claims.that("agree", 1.0, "≈", 1.0)
    with pytest.raises(ValueError, match=r"rel must be in \(0, 0.5\]"):
        claims.that("agree", 1.0, "≈", 3.0, rel=2.0)


def test_a_literal_truth_value_is_refused():
    with pytest.raises(TypeError, match="the measured value itself"):
        claims.that("it trains", True, "==", 1)
    with pytest.raises(TypeError, match="value must be a number"):
        claims.that("it trains", "yes", "==", 1)


def test_bad_relations_and_statements_are_refused_with_the_allowed_choices():
    with pytest.raises(ValueError, match="relation='>>' is unknown; choose one of <, <="):
        claims.that("s", 1, ">>", 0)
    with pytest.raises(ValueError, match="bound must be an interval"):
        claims.that("s", 1, "in", 3)
    with pytest.raises(ValueError, match="belong to relation '≈'"):
        claims.that("s", 1, "<", 2, rel=0.1)
    with pytest.raises(TypeError, match="statement must be the sentence"):
        claims.that("", 1, "<", 2)


def test_word_follows_the_data():
    assert claims.word(0.39, ">", 1, "above", "below") == "below"
    assert claims.word(2.5, ">", 1, "above", "below") == "above"
    assert claims.word([54, 25], "<", 53, "fewer", "not fewer") == "not fewer"
    with pytest.raises(ValueError, match="relation='≈' is unknown"):
        claims.word(1, "≈", 1, "a", "b")
