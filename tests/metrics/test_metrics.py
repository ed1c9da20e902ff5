"""Metric math against closed forms and hand-worked point sets."""

import math

import numpy as np
import pytest

from keras_gen import metrics


def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(200, 6))
    assert metrics.frechet_inception_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_closed_form_diagonal():
    # ||mu||^2 = 1 + 4 = 5; per axis 1 + 4 - 2*sqrt(1*4) = 1 and
    # 4 + 9 - 2*sqrt(4*9) = 1. Total 7.
    d = metrics.frechet_distance([0, 0], np.diag([1.0, 4.0]), [1, 2], np.diag([4.0, 9.0]))
    assert d == pytest.approx(7.0, abs=1e-9)


def test_frechet_distance_closed_form_correlated():
    # sigma1 has eigenvalues 3 and 1; against the identity the trace of the
    # square root is sqrt(3) + 1, so d = 4 + 2 - 2 (sqrt(3) + 1) = 4 - 2 sqrt(3).
    d = metrics.frechet_distance([0, 0], [[2.0, 1.0], [1.0, 2.0]], [0, 0], np.eye(2))
    assert d == pytest.approx(4 - 2 * math.sqrt(3), abs=1e-9)


def test_frechet_distance_of_sample_gaussians_approaches_the_closed_form():
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, size=(20000, 2))
    b = rng.normal([1.0, 2.0], [2.0, 3.0], size=(20000, 2))
    # N(0, I) vs N((1, 2), diag(4, 9)): 5 + (1 + 4 - 2*2) + (1 + 9 - 2*3) = 10.
    assert metrics.frechet_inception_distance(a, b) == pytest.approx(10.0, rel=0.03)


def test_kid_by_hand():
    # d = 1, k(a, b) = (ab + 1)^3. x = {0, 1}, y = {0, 2}:
    # k_xx off-diagonal mean 1, k_yy 1, k_xy mean (1 + 1 + 1 + 27) / 4 = 7.5.
    kid, std = metrics.kernel_inception_distance([[0.0], [1.0]], [[0.0], [2.0]],
                                                 num_subsets=1, subset_size=2)
    assert kid == pytest.approx(1 + 1 - 2 * 7.5) and std == 0.0


def test_kid_is_unbiased_near_zero_for_one_distribution():
    rng = np.random.default_rng(2)
    estimates = [metrics.kernel_inception_distance(rng.normal(size=(50, 4)),
                                                   rng.normal(size=(50, 4)),
                                                   num_subsets=1, subset_size=50)[0]
                 for _ in range(200)]
    # Unbiased: the mean over independent pairs is ~0 (a biased estimator is
    # positive by ~2/N times the kernel's scale), and single estimates go negative.
    assert abs(np.mean(estimates)) < 3 * np.std(estimates) / math.sqrt(len(estimates))
    assert min(estimates) < 0
    shifted = metrics.kernel_inception_distance(rng.normal(size=(200, 4)),
                                                rng.normal(1.0, 1.0, size=(200, 4)))[0]
    assert shifted > 0.5


def test_inception_score_of_confident_uniform_logits_is_the_class_count():
    logits = 100.0 * np.eye(10)[np.arange(1000) % 10]
    score, _ = metrics.inception_score(logits, num_splits=1)
    assert score == pytest.approx(10.0, rel=1e-6)
    one_class, _ = metrics.inception_score(100.0 * np.eye(10)[np.zeros(100, int)], num_splits=1)
    assert one_class == pytest.approx(1.0, rel=1e-6)


def test_inception_score_refuses_splits_of_one_sample():
    # Ten samples in ten splits scored exactly 1 whatever they showed: a split's p(y) was its
    # one sample's p(y|x). `evaluate` split 6 to 9 samples so.
    logits = 100.0 * np.eye(10)  # ten confident samples, one of each class
    assert metrics.inception_score(logits, num_splits=1)[0] == pytest.approx(10.0, rel=1e-6)
    # Five splits of two classes each: p(y) is 1/2 on two classes, KL log 2 per sample.
    assert metrics.inception_score(logits, num_splits=5)[0] == pytest.approx(2.0, rel=1e-6)
    with pytest.raises(ValueError, match=r"at least 2 samples per split: received 10 samples "
                                         r"for num_splits=10"):
        metrics.inception_score(logits, num_splits=10)


def test_precision_recall_by_hand():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])   # k=1 radii: 1 each
    fake = np.array([[0.5], [10.0], [11.0], [12.0]])  # radii: 9.5, 1, 1, 1
    precision, recall = metrics.precision_recall(real, fake, k=1)
    assert precision == 0.25  # only 0.5 lies in a real ball
    assert recall == 1.0      # the 9.5-ball around 0.5 holds every real point


def test_kth_neighbour_radii_by_hand():
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_array_equal(metrics.kth_neighbour_radii(points, 1), [1.0, 1.0, 2.0, 4.0])
    np.testing.assert_array_equal(metrics.kth_neighbour_radii(points, 2), [3.0, 2.0, 3.0, 6.0])
    with pytest.raises(ValueError, match=r"k must be an int in \[1, N=4\)"):
        metrics.kth_neighbour_radii(points, 4)


def test_kth_neighbour_radii_across_blocks_by_hand():
    # 2,500 points are computed in three blocks of rows (1,024, 1,024, 452). On the integers
    # 0..2499, shuffled, a point's 3rd neighbour is 2 away (at -1, +1, then -2 or +2), except at
    # the two ends: 0 has 1, 2, 3 and 2499 has 2498, 2497, 2496, so 3 away.
    positions = np.random.default_rng(0).permutation(2500)
    expected = np.where((positions == 0) | (positions == 2499), 3.0, 2.0)
    np.testing.assert_array_equal(
        metrics.kth_neighbour_radii(positions[:, None].astype(float), 3), expected)


def test_ball_metrics_across_blocks_by_hand():
    # Real: the integers 0..2499, shuffled over three blocks of balls, each of radius 1 (k=1).
    # 0.5 lies in the balls of 0 and 1, 2498.5 in those of 2498 and 2499, 5000 in none.
    real = np.random.default_rng(1).permutation(2500)[:, None].astype(float)
    fake = np.array([[0.5], [2498.5], [5000.0]])
    density, coverage = metrics.density_coverage(real, fake, k=1)
    assert density == 4 / 3 and coverage == 4 / 2500
    # The fake balls: radius 2498 around 0.5 and around 2498.5 (each other's distance) hold
    # every real point between them; the one around 5000 (radius 2501.5) holds none.
    assert metrics.precision_recall(real, fake, k=1) == (2 / 3, 1.0)


def test_given_real_radii_replace_the_computed_ones():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])   # computed k=1 radii: 1 each
    fake = np.array([[0.5], [10.0], [11.0], [12.0]])
    narrow = np.full(4, 0.4)  # 0.5 is 0.5 from the nearest real point: in no ball now
    assert metrics.precision_recall(real, fake, k=1, real_radii=narrow) == (0.0, 1.0)
    assert metrics.density_coverage(real, fake, k=1, real_radii=narrow) == (0.0, 0.0)
    with pytest.raises(ValueError, match=r"one radius per real point, shape \(4,\)"):
        metrics.precision_recall(real, fake, k=1, real_radii=np.ones(3))


def test_density_coverage_by_hand():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [10.0], [11.0], [12.0]])
    density, coverage = metrics.density_coverage(real, fake, k=1)
    assert density == 0.5    # 0.5 lies in the balls of 0 and 1: 2 / (1 * 4)
    assert coverage == 0.5   # balls of 0 and 1 hold a fake point, of 2 and 3 none
    same_density, same_coverage = metrics.density_coverage(real, real, k=1)
    assert same_coverage == 1.0 and same_density > 1.0  # neighbours overlap


def test_manifold_scores_by_hand():
    # The sets of the two tests above. k=1 radii: real 1 each; fake 9.5, 1, 1, 1. density_k=2
    # radii of the real points: 2, 1, 1, 2 (0's second neighbour is 2, 1's is 0 or 2, ...).
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [10.0], [11.0], [12.0]])
    assert metrics.manifold_scores(real, fake, k=1, density_k=1) == {
        "precision": 0.25, "recall": 1.0, "density": 0.5, "coverage": 0.5}
    # With the 2nd-neighbour balls 0.5 lies in those of 0 (radius 2) and 1 (radius 1), not in
    # 2's (1.5 away, radius 1) or 3's (2.5 away, radius 2): density 2 / (2 * 4), coverage 2 / 4.
    scores = metrics.manifold_scores(real, fake, k=1, density_k=2)
    assert (scores["density"], scores["coverage"]) == (0.25, 0.5)
    # density_k defaults to k + 2, as evaluate scores (k=3: density and coverage at 5).
    assert metrics.manifold_scores(real, fake, k=1) == metrics.manifold_scores(
        real, fake, k=1, density_k=3)


def test_manifold_scores_are_the_separate_metrics_in_one_pass():
    # Over three blocks of 1,024 real rows, with given radii as a ReferenceStatistics gives them:
    # the very numbers of precision_recall and density_coverage, which compute the distances
    # between the two sets three times.
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(2500, 8)), rng.normal(0.3, 1.2, size=(700, 8))
    radii = {k: metrics.kth_neighbour_radii(real, k) for k in (3, 5)}
    precision, recall = metrics.precision_recall(real, fake, 3, real_radii=radii[3])
    density, coverage = metrics.density_coverage(real, fake, 5, real_radii=radii[5])
    assert 0 < precision < 1 and 0 < recall < 1 and 0 < coverage < 1  # not a trivial case
    assert metrics.manifold_scores(real, fake, 3, real_radii=radii[3],
                                   density_radii=radii[5]) == {
        "precision": precision, "recall": recall, "density": density, "coverage": coverage}
    with pytest.raises(ValueError, match=r"one radius per real point, shape \(2500,\)"):
        metrics.manifold_scores(real, fake, 3, real_radii=radii[3], density_radii=radii[5][:9])
    with pytest.raises(ValueError, match=r"^density_k must be an int in \[1, min\(N, M\)\)\. "
                                         r"Received: density_k=5"):
        metrics.manifold_scores(real, fake[:5], 3)  # density's k=5 needs 6 fake points


@pytest.mark.parametrize("call", [
    lambda: metrics.frechet_inception_distance(np.zeros((5, 3)), np.zeros((5, 4))),
    lambda: metrics.precision_recall(np.zeros((5, 3)), np.zeros((5, 3)), k=5),
    lambda: metrics.inception_score(np.zeros((3, 10)), num_splits=10),
    lambda: metrics.kernel_inception_distance(np.zeros(5), np.zeros(5)),
])
def test_bad_shapes_raise(call):
    with pytest.raises(ValueError, match="Received"):
        call()


def test_mode_coverage_by_hand():
    reference = np.repeat(np.arange(4), 25)           # uniform over 4 classes
    collapsed = 5.0 * np.eye(4)[np.zeros(40, int)]     # every sample read as class 0
    result = metrics.mode_coverage(collapsed, reference)
    assert result["classes_covered"] == 1 and result["num_classes"] == 4
    assert result["class_kl"] == pytest.approx(math.log(4.0), rel=1e-6)  # KL(delta || uniform)
    balanced = 5.0 * np.eye(4)[np.arange(40) % 4]
    assert metrics.mode_coverage(balanced, reference) == {
        "classes_covered": 4, "num_classes": 4, "class_kl": pytest.approx(0.0, abs=1e-9)}


def test_conditional_accuracy():
    logits = np.eye(3)[[0, 1, 2, 2]]
    assert metrics.conditional_accuracy(logits, [0, 1, 2, 0]) == 0.75


NAN_FEATURES = np.where(np.arange(12).reshape(6, 2) == 3, np.nan, 1.0)  # row 1 holds a NaN


@pytest.mark.parametrize("call, message", [
    # NaN failed in numpy ("Eigenvalues did not converge"), or scored NaN or a number silently.
    (lambda: metrics.frechet_inception_distance(NAN_FEATURES, np.ones((6, 2))),
     r"^real_activations holds NaN or infinite values, in 1 of 6 rows: the images they come "
     r"from \(a diverged model's samples\?\)"),
    (lambda: metrics.kernel_inception_distance(np.ones((6, 2)), NAN_FEATURES),
     r"^fake_activations holds NaN"),
    (lambda: metrics.precision_recall(np.ones((6, 2)), NAN_FEATURES), r"^fake holds NaN"),
    (lambda: metrics.density_coverage(NAN_FEATURES, np.ones((6, 2))), r"^real holds NaN"),
    (lambda: metrics.kth_neighbour_radii(NAN_FEATURES, 1), r"^points holds NaN"),
    (lambda: metrics.inception_score(np.full((4, 3), np.inf), num_splits=2),
     r"^logits holds NaN or infinite values, in 4 of 4 rows"),
    (lambda: metrics.frechet_distance(np.zeros(2), np.eye(2), [0.0, np.nan], np.eye(2)),
     r"^mu2 holds NaN"),
    # numpy's "matmul: Input operand 1 has a mismatch in its core dimension 0".
    (lambda: metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4)),
     r"^frechet_distance takes means \(d,\) and covariances \(d, d\) of one d\. Received mu1 "
     r"\(3,\), sigma1 \(3, 3\), mu2 \(4,\), sigma2 \(4, 4\)\.$"),
    (lambda: metrics.kernel_inception_distance(np.ones((6, 2)), np.ones((6, 2)), subset_size=1),
     r"^subset_size must be at least 2"),  # a KID of NaN
    (lambda: metrics.inception_score(np.zeros((4, 3)), num_splits=0),
     r"^num_splits must be a positive int"),  # numpy's "number sections must be larger than 0"
])
def test_non_finite_values_and_settings_that_cannot_score_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_class_scores_refuse_ids_their_logits_do_not_score():
    logits = np.eye(3)[[0, 1, 2, 2]]
    # A label outside the classes, or 0.5, counted as a miss: 0.5 and 0.25 below.
    with pytest.raises(ValueError, match=r"^requested_labels must lie in \[0, 3\), the classes the "
                                         r"logits score\. Received values from 0 to 5\.$"):
        metrics.conditional_accuracy(logits, [0, 1, 5, 5])
    with pytest.raises(ValueError, match=r"^requested_labels must be class ids; received float64"):
        metrics.conditional_accuracy(logits, [0.5, 1, 2, 0])
    with pytest.raises(ValueError, match=r"one class id per sample, shape \(4,\)\. Received shape "
                                         r"\(2,\)\.$"):
        metrics.conditional_accuracy(logits, [0, 1])
    # numpy's "operands could not be broadcast together with shapes (3,) (4,)".
    with pytest.raises(ValueError, match=r"^reference_classes must lie in \[0, 3\)"):
        metrics.mode_coverage(logits, [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"^num_classes=4, but the logits score 3 classes"):
        metrics.mode_coverage(logits, [0, 1, 2, 2], num_classes=4)
    # 0 counted every class as covered; 2 none.
    for share in (0, 2):
        with pytest.raises(ValueError, match=rf"^min_share is the fraction .* in \(0, 1\]\. "
                                             rf"Received: min_share={share}$"):
            metrics.mode_coverage(logits, [0, 1, 2, 2], min_share=share)
    assert metrics.mode_coverage(logits, [0, 1, 2, 2], num_classes=3)["classes_covered"] == 3
