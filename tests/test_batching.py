"""Parameter points padded to bucket sizes: same values and derivatives, fewer compiled programs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import batching, transport


@pytest.mark.parametrize(
    "points, batch, want",
    [(0, 256, 0), (1, 256, 1), (2, 256, 2), (3, 256, 4), (5, 256, 8), (129, 256, 256), (256, 256, 256),
     (257, 256, 512), (801, 256, 1024), (20, 32, 32), (33, 32, 64), (24, 24, 24), (13, 24, 16), (17, 24, 24)],
)  # fmt: skip
def test_bucket_sizes(points, batch, want):
    assert batching.bucket(points, batch) == want


def test_padding_repeats_the_first_point_and_results_drop_it():
    a, b = jnp.arange(5.0), jnp.arange(10.0).reshape(5, 2)
    (pa, pb), n = batching.pad_points((a, b), 256)
    assert n == 5 and pa.shape == (8,) and pb.shape == (8, 2)
    np.testing.assert_array_equal(pa[5:], 0.0)
    np.testing.assert_array_equal(pb[5:], np.broadcast_to(b[0], (3, 2)))
    out = batching.call_padded(lambda x, y, c: {"s": x * c, "t": y}, (a, b), 256, 2.0)
    np.testing.assert_array_equal(out["s"], 2.0 * a)
    np.testing.assert_array_equal(out["t"], b)


def test_calls_with_nearby_numbers_of_points_share_one_program():
    U, alpha = 0.5, 0.3
    r5, r7 = np.linspace(0.2, 3.0, 5), np.linspace(0.1, 2.5, 7)
    jax.clear_caches()
    five = jo.efficiency(jo.Params(U, r5, alpha), nodes=6)
    seven = jo.efficiency(jo.Params(U, r7, alpha), nodes=6)
    assert transport._run_core._cache_size() == 1
    single = [float(jo.efficiency(jo.Params(U, x, alpha), nodes=6)) for x in r7]
    np.testing.assert_allclose(np.asarray(seven), single, rtol=1e-13, atol=0)
    assert five.shape == (5,)


def test_more_points_than_a_batch_match_the_single_points():
    """300 points: one full batch and a padded second one."""
    U, alpha = 0.5, 0.3
    r = np.linspace(0.05, 6.0, 300)
    many = np.asarray(jo.current_ratio(jo.Params(U, r, alpha), "z", nodes=6))
    pick = [0, 1, 255, 256, 299]
    single = [float(jo.current_ratio(jo.Params(U, r[i], alpha), "z", nodes=6)) for i in pick]
    np.testing.assert_allclose(many[pick], single, rtol=1e-13, atol=0)


def test_padded_points_add_nothing_to_the_gradient():
    """d/dr_i of the sum over three points (padded to four with a copy of point 0) against
    central differences of each point: a padded copy counted in would double point 0's."""
    U, alpha, h = 0.5, 0.3, 1e-6
    r = np.array([0.7, 1.9, 3.1])
    eta = jax.jit(lambda x: jnp.sum(jo.efficiency(jo.Params(U, x, alpha), nodes=6)))
    grad = np.asarray(jax.grad(eta)(jnp.asarray(r)))
    for i in range(3):
        step = h * np.eye(3)[i]
        fd = (float(eta(r + step)) - float(eta(r - step))) / (2 * h)
        assert abs(grad[i] - fd) < 1e-6 * max(1.0, abs(fd)) and abs(fd) > 1e-3, (i, grad[i], fd)
