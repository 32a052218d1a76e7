"""Teacher-student data: shapes, scales, the teacher-label relation, reproducibility, validation."""

import numpy as np
import pytest

from statlearn.models.channels import GaussianChannel, SignChannel
from statlearn.models.data import TeacherStudent, teacher_student
from statlearn.models.priors import GaussBernoulliPrior, GaussianPrior, RademacherPrior
from statlearn.models.registry import resolve_model


def test_shapes_and_relations():
    data = teacher_student("rademacher", "sign", 300, 1.7, seed=0)
    assert isinstance(data, TeacherStudent)
    assert (data.M, data.N) == (510, 300)
    assert data.F.shape == (510, 300) and data.teacher.shape == (300,)
    assert data.z.shape == data.y.shape == (510,)
    np.testing.assert_allclose(data.z, data.F @ data.teacher, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(data.y, np.where(data.z >= 0, 1.0, -1.0))
    assert set(np.unique(data.teacher)) == {-1.0, 1.0}
    assert isinstance(data.prior, RademacherPrior) and isinstance(data.channel, SignChannel)
    assert data.alpha == 1.7


def test_matrix_entries_have_variance_one_over_n():
    data = teacher_student("gaussian", "gaussian", 400, 2.0, seed=1, rho=2.0, delta=0.5)
    N, entries = data.N, data.F.size  # 320 000 entries: the sample variance is within 5e-3 relative
    assert abs(np.mean(data.F)) < 5.0 / np.sqrt(entries * N)
    assert abs(np.var(data.F) * N - 1.0) < 5.0 * np.sqrt(2.0 / entries)
    # labels: y = z + sqrt(delta) noise; pre-activations have variance rho
    noise = data.y - data.z
    assert abs(np.var(noise) / 0.5 - 1.0) < 5.0 * np.sqrt(2.0 / data.M)
    assert abs(np.mean(data.teacher**2) / 2.0 - 1.0) < 5.0 * np.sqrt(2.0 / N)


def test_sparse_teacher_density():
    data = teacher_student("gauss-bernoulli", "gaussian", 5000, 0.2, seed=2, rho=0.1, delta=0.01)
    assert isinstance(data.prior, GaussBernoulliPrior)
    density = np.mean(data.teacher != 0)
    assert abs(density - 0.1) < 5.0 * np.sqrt(0.1 * 0.9 / 5000)


def test_same_seed_same_data_bit_for_bit():
    one = teacher_student("rademacher", "noisy-sign", 64, 1.5, seed=123, delta=0.1)
    two = teacher_student("rademacher", "noisy-sign", 64, 1.5, seed=np.random.default_rng(123), delta=0.1)
    for field in ("F", "teacher", "z", "y"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    other = teacher_student("rademacher", "noisy-sign", 64, 1.5, seed=124, delta=0.1)
    assert not np.array_equal(one.F, other.F)


def test_instances_are_accepted_and_arrays_read_only():
    data = teacher_student(GaussianPrior(0.5), GaussianChannel(0.1), 20, 1.0, seed=3)
    assert data.prior.rho == 0.5 and data.channel.delta == 0.1
    for field in ("F", "teacher", "z", "y"):
        with pytest.raises(ValueError):
            getattr(data, field)[0] = 1.0


def test_alpha_rounds_to_sample_count():
    assert teacher_student("rademacher", "sign", 10, 0.26, seed=0).M == 3
    assert teacher_student("rademacher", "sign", 1, 1.0, seed=0).M == 1


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(N=0), ValueError, "N"),
        (dict(N=2.5), TypeError, "N"),
        (dict(alpha=0.0), ValueError, "alpha"),
        (dict(alpha=-1.0), ValueError, "alpha"),
        (dict(alpha=float("nan")), ValueError, "alpha"),
        (dict(alpha=0.01), ValueError, "alpha"),
        (dict(seed=1.5), TypeError, "seed"),
        (dict(seed=None), TypeError, "seed"),
        (dict(prior="laplace"), ValueError, "unknown prior"),
        (dict(channel="tanh"), ValueError, "unknown channel"),
        (dict(kappa=1.0), ValueError, "unknown parameters"),
    ],
)
def test_validation(kwargs, error, match):
    args = dict(prior="rademacher", channel="sign", N=10, alpha=1.0, seed=0)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        teacher_student(**args)


def test_resolve_model_routes_parameters():
    prior, channel = resolve_model("gauss-bernoulli", "probit", {"rho": 0.3, "delta": 0.2})
    assert prior.rho == 0.3 and channel.delta == 0.2
    with pytest.raises(ValueError, match="delta"):
        resolve_model("rademacher", "gaussian", {})
