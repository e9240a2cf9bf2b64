"""C that converts Python numbers to WebAssembly values, for the CPython extensions this
project generates (``wasm2c_build``'s glue and ``native_fastcall``'s): one copy of the range
checks, the same as the other runtimes' (an i32 takes -2**31 .. 2**32 - 1 and wraps as
unsigned, an i64 likewise at 64 bits; a value out of range raises ``OverflowError``).

``FROM_PYTHON`` defines ``py_to_i32(PyObject *, uint32_t *)``, ``py_to_i64(..., uint64_t *)``,
``py_to_f32(..., float *)`` and ``py_to_f64(..., double *)``, each returning 0, or -1 with a
Python exception set; it needs ``Python.h`` and ``stdint.h``.
"""

FROM_PYTHON = r"""
/* Python values to wasm values (0, or -1 with an exception set): runtimes/c_values.py. */
static int py_to_i32(PyObject *o, uint32_t *out) {
  long long v = PyLong_AsLongLong(o);
  if (v == -1 && PyErr_Occurred())
    return -1;
  if (v < INT32_MIN || v > (long long)UINT32_MAX) {
    PyErr_SetString(PyExc_OverflowError, "value out of range for an i32");
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

static int py_to_i64(PyObject *o, uint64_t *out) {
  int overflow;
  long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (v == -1 && PyErr_Occurred())
    return -1;
  if (overflow > 0) {
    unsigned long long u = PyLong_AsUnsignedLongLong(o);
    if (u == (unsigned long long)-1 && PyErr_Occurred())
      return -1;
    *out = (uint64_t)u;
    return 0;
  }
  if (overflow < 0) {
    PyErr_SetString(PyExc_OverflowError, "value out of range for an i64");
    return -1;
  }
  *out = (uint64_t)v;
  return 0;
}

static int py_to_f64(PyObject *o, double *out) {
  double v = PyFloat_AsDouble(o);
  if (v == -1.0 && PyErr_Occurred())
    return -1;
  *out = v;
  return 0;
}

static int py_to_f32(PyObject *o, float *out) {
  double v;
  if (py_to_f64(o, &v))
    return -1;
  *out = (float)v;
  return 0;
}
"""
