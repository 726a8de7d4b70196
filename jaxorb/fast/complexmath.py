"""Complex arithmetic of the fast path, with the products folded at trace time.

The solver works on struct-of-arrays 3x3 matrices: every entry is its own array over the kappa
nodes. The helpers here multiply by real arrays and by Python constants in real arithmetic and
keep structural zeros as Python zeros, so that XLA sees only the flops that matter (it does not
fold 0 * x for floats, nor simplify a complex product with a real promoted to complex).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

# ---------------------------------------------------------------------------------------------
# Real arithmetic on complex arrays


def is_real(x) -> bool:
    if isinstance(x, (bool, int, float)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and not jnp.issubdtype(dtype, jnp.complexfloating)


def is_zero(x) -> bool:
    """A structural zero: a Python number 0 (skipped at trace time). Kept as a Python zero by the
    helpers below, since an array of zeros would be multiplied through every later stage (XLA
    does not fold 0 * x for floats)."""
    return isinstance(x, (int, float)) and x == 0


def rmul(z, x):
    """z x for a real x (array or number), in real arithmetic: a complex product with a real
    promoted to complex costs 6 flops instead of 2 (XLA does not simplify it; the eta forward
    pass takes 25% less time with it)."""
    if isinstance(z, (int, float)):
        return 0.0 if is_zero(z) else z * x
    if isinstance(x, (int, float)) and x in (1.0, -1.0):
        return z if x == 1.0 else -z
    return jax.lax.complex(jnp.real(z) * x, jnp.imag(z) * x)


def muli(z):
    """i z without a multiplication."""
    if is_zero(z):
        return 0.0
    return jax.lax.complex(-jnp.imag(z), jnp.real(z))


def re_cm(a, b):
    """Re(conj(a) b) in real arithmetic."""
    if is_zero(a) or is_zero(b):
        return 0.0
    return jnp.real(a) * jnp.real(b) + jnp.imag(a) * jnp.imag(b)


def cconst(c: complex, z):
    """c z for a constant c: real, imaginary or general."""
    c = complex(c)
    if c.imag == 0:
        return rmul(z, c.real)
    if c.real == 0:
        return rmul(muli(z), c.imag)
    return z * c


def recip(z):
    """1 / z with one real division; XLA's complex division is several times dearer. No
    overflow guard: the denominators here (q_t + k_t, 1 + beta^2, det S) are O(1e-10) at the
    smallest."""
    re, im = jnp.real(z), jnp.imag(z)
    d = 1.0 / (re * re + im * im)
    return jax.lax.complex(re * d, -im * d)


def mul_any(z, o):
    """z o with o a Python constant, a real array or a complex array."""
    if isinstance(o, complex):
        return cconst(o, z)
    if is_real(o):
        return rmul(z, o)
    return z * o


# ---------------------------------------------------------------------------------------------
# Complex arrays with the solver's products; struct-of-arrays 3x3 algebra


class Cz:
    """A complex array with the few products the solver needs (``conj_mul``, ``mul_i``).

    Products with Python constants are folded at trace time. Measured on the 2-core CPU: the same
    code on (re, im) pairs of float64 arrays was 3-6x slower than native complex128 here, forward
    and reverse (docs/performance.md).
    """

    __slots__ = ("z",)

    def __init__(self, z):
        self.z = z

    @property
    def re(self):
        return jnp.real(self.z)

    @property
    def im(self):
        return jnp.imag(self.z)

    @staticmethod
    def _v(o):
        return o.z if isinstance(o, Cz) else o

    def __add__(self, o):
        return Cz(self.z + Cz._v(o))

    __radd__ = __add__

    def __neg__(self):
        return Cz(-self.z)

    def __sub__(self, o):
        return Cz(self.z - Cz._v(o))

    def __rsub__(self, o):
        return Cz(Cz._v(o) - self.z)

    def __mul__(self, o):
        return Cz(self.z * o.z if isinstance(o, Cz) else mul_any(self.z, o))

    __rmul__ = __mul__

    def __truediv__(self, o):
        if isinstance(o, Cz):
            return Cz(self.z * recip(o.z))
        if is_real(o):
            return Cz(rmul(self.z, 1.0 / o))
        return Cz(self.z / o)

    def __rtruediv__(self, o):
        return Cz(mul_any(recip(self.z), Cz._v(o)))

    def conj(self):
        return Cz(jnp.conj(self.z))

    def mul_i(self):
        return Cz(muli(self.z))

    def conj_mul(self, o):
        return Cz(jnp.conj(self.z) * Cz._v(o))

    def complex(self):
        return self.z


def make_cz(re, im) -> Cz:
    dtype = jnp.result_type(re, im)
    re, im = jnp.broadcast_arrays(jnp.asarray(re, dtype), jnp.asarray(im, dtype))
    return Cz(jax.lax.complex(re, im))


def as_cz(x) -> Cz:
    return x if isinstance(x, Cz) else Cz(x + 0j)


def cmat(c: np.ndarray, x):
    """Constant 3x3 NumPy matrix times a nested 3x3 matrix ``x`` of :class:`Cz` or of complex
    arrays (zero entries skipped; real and imaginary constants in real arithmetic)."""
    out = []
    for i in range(3):
        row = []
        for j in range(len(x[0])):
            acc = 0.0
            for k in range(3):
                if c[i, k] != 0:
                    v = x[k][j]
                    acc = acc + (v * complex(c[i, k]) if isinstance(v, Cz) else cconst(c[i, k], v))
            row.append(acc)
        out.append(tuple(row))
    return tuple(out)
