"""The valid domain: computed to the stated accuracy at its edges (values and gradients, against a
refined quadrature), finite where both branch points meet k_F, refused beyond."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import incident, params, transport

RANGES = params.PARAM_RANGES
#: A graded rule about five times the default's size, converged to ~1e-9 over the domain.
REFINED = (128, 10, 48)

#: Every corner of the domain, with interior values between.
U_EDGE = [RANGES["U"].low, -10.0, 0.0, RANGES["U"].high]
R_EDGE = [RANGES["r"].low, 0.0, 30.0, RANGES["r"].high]
A_EDGE = [RANGES["alpha"].low, 0.7, RANGES["alpha"].high]
CORNERS = np.array(list(itertools.product(U_EDGE, R_EDGE, A_EDGE)))

QUANTITIES = {
    "efficiency": (transport._efficiency_core, (jo.OPERATOR_NAMES.index("Lyz"),), "x", ()),
    "current_ratio": (transport._ratio_core, (), "z", ()),
    "mean_torque": (transport._mean_torque_core, (), "z", (np.inf,)),
}


def evaluate(name, p, nodes):
    core, static, inc, extra = QUANTITIES[name]
    rho = jnp.asarray(incident.density_matrix(inc))
    ndip = jnp.asarray(transport.injected_dipole(inc))
    extra = tuple(jnp.asarray(x) for x in extra)
    return transport._broadcast_call(core, p, (rho, ndip) + extra, static + (nodes,))


def tolerance(r):
    return np.where(np.asarray(r) > 30.0, params.ACCURACY_R100, params.ACCURACY)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(QUANTITIES))
def test_domain_edges_match_a_refined_rule(name):
    """Values at every corner of the domain agree with a refined quadrature to the stated
    accuracy; the public function returns the default-rule value there."""
    p = jo.Params(*CORNERS.T)
    default = np.asarray(evaluate(name, p, None))
    ref = np.asarray(evaluate(name, p, REFINED))
    assert np.all(np.isfinite(default))
    err = np.abs(default - ref) / (np.abs(ref) + 1e-3)
    assert np.all(err <= tolerance(CORNERS[:, 1])), CORNERS[np.argmax(err / tolerance(CORNERS[:, 1]))]


#: Edge points for the gradient check (a grad compile per rule): the four extreme corners that
#: are hardest for the quadrature, and the r -> -0.99 / U -> 0.99 edge.
GRAD_POINTS = np.array(
    [
        [RANGES["U"].high, RANGES["r"].low, RANGES["alpha"].high],
        [RANGES["U"].high, 30.0, RANGES["alpha"].low],
        [RANGES["U"].low, RANGES["r"].high, 0.7],
        [-10.0, 30.0, RANGES["alpha"].low],
        [0.5, RANGES["r"].low, 0.7],
    ]
)


@pytest.mark.slow
def test_domain_edge_gradients_match_a_refined_rule():
    """d eta / d(U, r, alpha) at the edges agree with the refined rule's (moving nodes included)."""

    def grads(nodes):
        def total(U, r, a):
            return jnp.sum(evaluate("efficiency", jo.Params(U, r, a), nodes))

        return np.array(jax.grad(total, argnums=(0, 1, 2))(*(jnp.asarray(c) for c in GRAD_POINTS.T)))

    g, g_ref = grads(None), grads(REFINED)
    assert np.all(np.isfinite(g))
    err = np.abs(g - g_ref) / (np.abs(g_ref) + 1e-3)
    assert np.all(err <= 10 * tolerance(GRAD_POINTS[:, 1])), err


EPS = np.array([1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10])


@pytest.mark.slow
def test_both_branch_points_at_k_F_are_finite_and_continuous():
    """U = eps, r = -eps puts k_t = k_F and k_r next to it: every function used to return NaN for
    eps in 1e-14..1e-12. Values are finite and continuous toward eps = 1e-9, gradients finite."""
    eps = np.append(EPS, 1e-9)
    for alpha in (0.0, 0.7):
        p = jo.Params(eps, -eps, alpha)
        for value, atol in (
            (jo.efficiency(p, "x", "Lyz"), 1e-9),
            (jo.current_ratio(p, "z"), 1e-7),
            (jo.mean_torque(p, "z"), 1e-7),
            (jo.profile(p, [0.0, 3.0], "x").current["Lyz"], 1e-7),
        ):
            value = np.asarray(value)
            assert np.all(np.isfinite(value))
            assert np.allclose(value[:-1], value[-1:], atol=atol, rtol=0)

    def eta(U, r):
        return jnp.sum(jo.efficiency(jo.Params(U, r, 0.7), "x", "Lyz"))

    grads = jax.grad(eta, argnums=(0, 1))(jnp.asarray(EPS), jnp.asarray(-EPS))
    assert all(np.all(np.isfinite(np.asarray(g))) for g in grads)


@pytest.mark.parametrize(
    "field,value",
    [
        ("U", 1 - 1e-6),
        ("U", 1 - 1e-8),
        ("U", 1 - 1e-9),
        ("U", -1e300),
        ("r", 1e300),
        ("r", -1 + 1e-9),
        ("alpha", 1e300),
        ("alpha", -30.0),
    ],
)
def test_beyond_the_domain_is_refused_with_the_range(field, value):
    """Points the default quadrature cannot compute to the stated accuracy (U = 1 - 1e-8 gave
    9.98 for ~2.136, 1e300 gave NaN) are refused, naming the parameter and its range, in every
    public function."""
    p = jo.Params(**{"U": 0.5, "r": 3.0, "alpha": 0.7, field: value})
    for call in (
        lambda: jo.efficiency(p, "x", "Lyz"),
        lambda: jo.memory_loss(p, "z"),
        lambda: jo.mean_torque(p, "z"),
        lambda: jo.profile(p, 0.0),
    ):
        with pytest.raises(ValueError, match=f"{field} must satisfy .*{field} <= "):
            call()


@pytest.mark.slow
def test_memory_loss_gradient_at_the_U_edge_is_finite():
    """The memory-loss gradient near U -> 1 (NaN at U = 1 - 1e-11) is finite at the edge."""
    U = RANGES["U"].high
    g = jax.grad(lambda a: jo.memory_loss(jo.Params(U, 0.5, a), "z"))(0.7)
    assert np.isfinite(g)
