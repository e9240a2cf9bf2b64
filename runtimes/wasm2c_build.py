"""Translate a wasm module with wabt's ``wasm2c`` and compile it into a CPython extension.

The ``wasm2c`` runtime runs a module as C compiled ahead of time: ``wasm2c`` writes the
module as C (``guest.c``/``guest.h``), this file writes a small C-API glue around it
(``GLUE`` below, plus one function per export and per imported function, generated from
``guest.h``), and the C compiler builds the three (with wabt's runtime, ``wasm-rt-impl.c``) in
one translation unit into an extension module. Extensions are cached by a key over the
module's bytes, the tools' versions, the glue and the flags, under a file lock and an atomic
rename like ``runtimes.native_build``; a cold compile builds in a folder private to the
process.

The glue, and why:

- Exports are ``METH_FASTCALL`` functions bound to the instance object, so a call is one C
  function: convert the arguments, arm the trap target (``sigsetjmp`` with no signal mask:
  saving the mask is a system call), call the translated function, box the result.
- A trap (``wasm_rt_trap``) ``siglongjmp``s to the innermost call's target and raises the
  exception class the adapter passed in. The target is saved and restored around every call
  and every host-function call, so nested calls (guest -> host -> guest) and threads that
  switch inside a host function (the GIL is held everywhere else) each return to their own.
- Bounds are checked in the translated code (``WASM_RT_MEMCHECK_SIGNAL_HANDLER=0``): wabt's
  default catches out-of-bounds accesses with a process-wide SIGSEGV handler, which would
  take over every crash in the Python process (and faulthandler's report of it).
- Linear memory is reserved whole when an instance is made and grows by making pages
  accessible, so its base never moves: a memoryview taken before a grow stays valid (only
  shorter), and the adapter reads the size afresh on every access.
- Host functions are C functions wasm2c's output calls by name; each calls its Python
  callable from the tuple given at instantiation. An exception there unwinds the guest
  (like a trap) and reaches the caller as it was raised.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from runtimes import build_cache, c_values

WASM2C_VAR = "WASM_INTEROP_WASM2C"  # a wasm2c to use instead of the one on PATH
CACHE_VAR = "WASM_INTEROP_WASM2C_CACHE"
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / ".cache" / "wasm2c"
# The only output format the glue reads: wabt 1.0.33 renamed every symbol and the API.
KNOWN_VERSIONS = ("1.0.32",)
MODULE_NAME = "guest"  # wasm2c -n: symbols are Z_guest..., whatever the module calls itself
FLAGS = ("-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-w",
         "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0")
_KEY_VERSION = "2"  # bump when the way extensions are built changes outside GLUE and FLAGS

C_TYPES = {"u32": "i32", "u64": "i64", "f32": "f32", "f64": "f64"}  # guest.h type -> wasm
WASM_C = {v: k for k, v in C_TYPES.items()}


class Wasm2cBuildError(Exception):
    """The module could not be translated, compiled or cached; the message says why."""


@dataclass(frozen=True)
class Toolchain:
    wasm2c: str
    version: str  # wabt's, "1.0.32"
    runtime_dir: Path  # wasm-rt-impl.c, wasm-rt-impl.h, wasm-rt.h
    cc: str
    cc_version: str  # the first line of `cc --version`
    python_include: Path

    @property
    def label(self) -> str:
        return f"wasm2c {self.version} + {self.cc_version}"

    def identity(self) -> bytes:
        """What an extension depends on besides the module: part of the cache key."""
        parts = [_KEY_VERSION, self.version, self.cc, self.cc_version, " ".join(FLAGS),
                 sys.version, str(sysconfig.get_config_var("EXT_SUFFIX")), GLUE,
                 c_values.FROM_PYTHON]
        parts += [(self.runtime_dir / n).read_text(encoding="utf-8", errors="replace")
                  for n in _RUNTIME_FILES]
        return "\0".join(parts).encode()


_RUNTIME_FILES = ("wasm-rt-impl.c", "wasm-rt-impl.h", "wasm-rt.h")


def _first_line(text: str, default: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), default)


def find_toolchain() -> Toolchain | str:
    """The tools to build with, or one line saying what is missing."""
    explicit = os.environ.get(WASM2C_VAR, "").strip()
    exe = shutil.which(explicit or "wasm2c")
    if exe is None:
        where = f"{WASM2C_VAR}={explicit}" if explicit else "PATH"
        return f"no wasm2c ({where}); install wabt (`apt-get install wabt`)"
    try:
        version = subprocess.run([exe, "--version"], capture_output=True, text=True,
                                 timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{exe} --version failed: {exc}"
    if version not in KNOWN_VERSIONS:
        return (f"wasm2c {version or '(no version)'} at {exe}: the glue reads the output of "
                f"wabt {', '.join(KNOWN_VERSIONS)} only")
    prefix = Path(exe).resolve().parent.parent
    dirs = [prefix / "src" / "wasm2c", Path("/usr/src/wasm2c"),
            prefix / "share" / "wabt" / "wasm2c"]
    runtime_dir = next((d for d in dirs if all((d / n).is_file() for n in _RUNTIME_FILES)), None)
    if runtime_dir is None:
        return (f"wasm2c's runtime sources ({', '.join(_RUNTIME_FILES)}) are in none of "
                f"{', '.join(map(str, dirs))}")
    env_cc = os.environ.get("CC", "").split()
    cc = shutil.which(env_cc[0]) if env_cc else shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return "no C compiler (gcc or cc, or $CC) to compile wasm2c's output"
    try:
        cc_version = _first_line(subprocess.run([cc, "--version"], capture_output=True,
                                                text=True, timeout=60).stdout, cc)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{cc} --version failed: {exc}"
    include = Path(sysconfig.get_paths()["include"])
    if not (include / "Python.h").is_file():
        return (f"no Python headers for this interpreter (no Python.h in {include}); "
                "install its development package (python3-dev)")
    return Toolchain(exe, version, runtime_dir, cc, cc_version, include)


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_VAR) or DEFAULT_CACHE)


def cache_key(wasm: bytes, toolchain: Toolchain) -> str:
    h = hashlib.sha256(toolchain.identity())
    h.update(b"\0" + hashlib.sha256(wasm).digest())
    return h.hexdigest()[:24]


# --- what guest.h declares ----------------------------------------------------------------

@dataclass(frozen=True)
class Function:
    """An exported or imported function as guest.h declares it (wasm types)."""

    name: str  # the export's name, or "module.name" for an import
    symbol: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    module: str = ""  # an import's module
    field: str = ""  # an import's name
    struct: str = ""  # an import's first parameter: its module's instance type


@dataclass(frozen=True)
class Interface:
    exports: tuple[Function, ...]
    imports: tuple[Function, ...]
    memory: str | None  # the accessor of the first exported memory
    import_structs: tuple[str, ...]  # the instantiate function's import-instance parameters
    unsupported_imports: tuple[str, ...]  # imports the glue cannot provide (not a function)


_TYPE = r"(?:u32|u64|f32|f64)"
_EXPORT = re.compile(r"^/\* export: '(.*)' \*/\n(.*);$", re.M)
_IMPORT = re.compile(r"^/\* import: '(.*)' '(.*)' \*/\n(.*);$", re.M)
_FUNC = re.compile(rf"^(void|{_TYPE}) (\w+)\((?:Z_{MODULE_NAME}_instance_t|struct (\w+))\*"
                   rf"((?:, {_TYPE})*)\)$")
_MEMORY = re.compile(rf"^wasm_rt_memory_t\* (\w+)\(Z_{MODULE_NAME}_instance_t\* instance\)$")
_INSTANTIATE = re.compile(rf"^void Z_{MODULE_NAME}_instantiate\(Z_{MODULE_NAME}_instance_t\*"
                          r"((?:, struct \w+\*)*)\);$", re.M)


def _function(name: str, decl: str, **extra: str) -> Function | None:
    m = _FUNC.match(decl)
    if m is None:
        return None
    params = tuple(C_TYPES[t.strip()] for t in m.group(4).split(",") if t.strip())
    results = () if m.group(1) == "void" else (C_TYPES[m.group(1)],)
    return Function(name, m.group(2), params, results, struct=m.group(3) or "", **extra)


def parse_header(text: str) -> Interface:
    """The exports and imports the glue can reach, from wasm2c's header (wabt 1.0.32)."""
    exports, memory = [], None
    for name, decl in _EXPORT.findall(text):
        fn = _function(name, decl)
        if fn is not None:
            exports.append(fn)
        elif memory is None and (m := _MEMORY.match(decl)):
            memory = m.group(1)
    imports, unsupported = [], []
    for module, field, decl in _IMPORT.findall(text):
        fn = _function(f"{module}.{field}", decl, module=module, field=field)
        if fn is None or not fn.struct:
            unsupported.append(f"{module}.{field}")
        else:
            imports.append(fn)
    inst = _INSTANTIATE.search(text)
    if inst is None:
        raise Wasm2cBuildError("wasm2c's header declares no instantiate function the glue "
                               "knows (is this wabt 1.0.32's output?)")
    structs = tuple(re.findall(r"struct (\w+)\*", inst.group(1)))
    return Interface(tuple(exports), tuple(imports), memory, structs, tuple(unsupported))


def interface_json(iface: Interface) -> str:
    return json.dumps({
        "exports": [[f.name, list(f.params), list(f.results)] for f in iface.exports],
        "imports": [[f.module, f.field, list(f.params), list(f.results)] for f in iface.imports],
        "memory": iface.memory is not None})


# --- the glue ------------------------------------------------------------------------------

def c_string(text: str) -> str:
    """``text`` as a C string literal (every byte outside a safe set as a 3-digit octal)."""
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;[]{}()")
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03o}" for b in text.encode()) + '"'


GLUE = r"""/* Generated by runtimes/wasm2c_build.py: one wasm2c-translated module as a CPython
   extension (see that file's docstring for why it is written this way). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include "wasm-rt.h"

static void glue_trap(wasm_rt_trap_t code) __attribute__((noreturn));
#define WASM_RT_TRAP_HANDLER glue_trap
/* Linear memory is the glue's own (below): wabt's versions are compiled under other names. */
#define wasm_rt_allocate_memory glue_unused_allocate_memory
#define wasm_rt_grow_memory glue_unused_grow_memory
#define wasm_rt_free_memory glue_unused_free_memory
#include "wasm-rt-impl.c"
#undef wasm_rt_allocate_memory
#undef wasm_rt_grow_memory
#undef wasm_rt_free_memory

#define GLUE_PAGE 65536u
#define GLUE_HOST_ERROR 1000 /* not a wasm_rt_trap_t: a host function raised */

static sigjmp_buf *glue_target;  /* the innermost running call's trap target */
static int glue_out_of_memory;   /* set when a memory could not be reserved */
static PyObject *glue_trap_type; /* the exception class traps raise (the adapter's) */

static void glue_trap(wasm_rt_trap_t code) { siglongjmp(*glue_target, (int)code); }

static void glue_host_failed(void) __attribute__((noreturn));
static void glue_host_failed(void) { siglongjmp(*glue_target, GLUE_HOST_ERROR); }

/* At most 65535 pages: wasm_rt_memory_t keeps the byte size in 32 bits. */
static uint32_t glue_max_pages(uint32_t max_pages) {
  return max_pages < 65535u ? max_pages : 65535u;
}

static size_t glue_reserve(uint32_t max_pages) {
  return (size_t)(max_pages ? max_pages : 1u) * GLUE_PAGE;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial, uint32_t max_pages) {
  uint32_t max = glue_max_pages(max_pages);
  void *addr;
  mem->data = NULL;
  mem->pages = mem->size = 0;
  mem->max_pages = max;
  if (initial > max) {
    glue_out_of_memory = 1;
    return;
  }
  addr = mmap(NULL, glue_reserve(max), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
              -1, 0);
  if (addr == MAP_FAILED) {
    glue_out_of_memory = 1;
    return;
  }
  if (initial && mprotect(addr, (size_t)initial * GLUE_PAGE, PROT_READ | PROT_WRITE) != 0) {
    munmap(addr, glue_reserve(max));
    glue_out_of_memory = 1;
    return;
  }
  mem->data = addr;
  mem->pages = initial;
  mem->size = initial * GLUE_PAGE;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta) {
  uint32_t old = mem->pages;
  if (delta == 0)
    return old;
  if (mem->data == NULL || delta > mem->max_pages - old)
    return UINT32_MAX;
  if (mprotect(mem->data + (size_t)old * GLUE_PAGE, (size_t)delta * GLUE_PAGE,
               PROT_READ | PROT_WRITE) != 0)
    return UINT32_MAX;
  mem->pages = old + delta;
  mem->size = mem->pages * GLUE_PAGE;
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) {
  if (mem->data != NULL)
    munmap(mem->data, glue_reserve(mem->max_pages));
  mem->data = NULL;
}

#include "guest.c"

/* Run STMT with a trap target armed; on a trap or a host exception, run FAIL (glue_code says
   which). glue_prev and glue_depth are not modified after sigsetjmp, so they survive it. */
#define GLUE_CALL(STMT, FAIL)                                                  \
  do {                                                                         \
    sigjmp_buf glue_buf;                                                       \
    sigjmp_buf *glue_prev = glue_target;                                       \
    uint32_t glue_depth = wasm_rt_call_stack_depth;                            \
    int glue_code;                                                             \
    glue_target = &glue_buf;                                                   \
    if ((glue_code = sigsetjmp(glue_buf, 0)) == 0) {                           \
      STMT;                                                                    \
      glue_target = glue_prev;                                                 \
    } else {                                                                   \
      glue_target = glue_prev;                                                 \
      wasm_rt_call_stack_depth = glue_depth;                                   \
      FAIL;                                                                    \
    }                                                                          \
  } while (0)

static const char *glue_trap_name(int code) {
  switch (code) {
    case WASM_RT_TRAP_OOB: return "OOB";
    case WASM_RT_TRAP_INT_OVERFLOW: return "INT_OVERFLOW";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "DIV_BY_ZERO";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "INVALID_CONVERSION";
    case WASM_RT_TRAP_UNREACHABLE: return "UNREACHABLE";
    case WASM_RT_TRAP_CALL_INDIRECT: return "CALL_INDIRECT";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "UNCAUGHT_EXCEPTION";
    case WASM_RT_TRAP_EXHAUSTION: return "EXHAUSTION";
  }
  return "UNKNOWN";
}

static PyObject *glue_failed(int code) {
  PyObject *exc;
  if (code == GLUE_HOST_ERROR)
    return NULL; /* the host function's exception is set */
  if (glue_trap_type == NULL) {
    PyErr_Format(PyExc_RuntimeError, "wasm trap: %s", wasm_rt_strerror((wasm_rt_trap_t)code));
    return NULL;
  }
  exc = PyObject_CallFunction(glue_trap_type, "ss", wasm_rt_strerror((wasm_rt_trap_t)code),
                              glue_trap_name(code));
  if (exc != NULL) {
    PyErr_SetObject(glue_trap_type, exc);
    Py_DECREF(exc);
  }
  return NULL;
}

@FROM_PYTHON@
/* wasm values back to Python values. */
static PyObject *glue_from_i32(u32 v) { return PyLong_FromLong((long)(int32_t)v); }
static PyObject *glue_from_i64(u64 v) { return PyLong_FromLongLong((long long)(int64_t)v); }
static PyObject *glue_from_f32(f32 v) { return PyFloat_FromDouble((double)v); }
static PyObject *glue_from_f64(f64 v) { return PyFloat_FromDouble(v); }

typedef struct {
  PyObject_HEAD
  Z_guest_instance_t inst;
  PyObject *imports; /* a tuple: the host callables, in the order of the import functions */
} GlueInstance;

static PyObject *glue_arity(Py_ssize_t given, Py_ssize_t wanted, const char *name) {
  PyErr_Format(PyExc_TypeError, "export %s takes %zd arguments (%zd given)", name, wanted,
               given);
  return NULL;
}

/* ---- generated: the host functions and the exports ---- */
@GENERATED@
/* ---- end of the generated part ---- */

static wasm_rt_memory_t *glue_memory(GlueInstance *self) {
  wasm_rt_memory_t *mem = @MEMORY@;
  if (mem == NULL)
    PyErr_SetString(PyExc_ValueError, "the module exports no memory");
  return mem;
}

static int glue_range(wasm_rt_memory_t *mem, long long offset, long long length) {
  if (offset < 0 || length < 0 || offset + length > (long long)mem->size) {
    PyErr_Format(PyExc_IndexError, "out of bounds memory access: %lld bytes at %lld in a "
                 "memory of %u bytes", length, offset, mem->size);
    return -1;
  }
  return 0;
}

static PyObject *glue_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  wasm_rt_memory_t *mem = glue_memory((GlueInstance *)self);
  long long offset, length;
  if (mem == NULL)
    return NULL;
  if (nargs != 2)
    return glue_arity(nargs, 2, "_read");
  offset = PyLong_AsLongLong(args[0]);
  if (offset == -1 && PyErr_Occurred())
    return NULL;
  length = PyLong_AsLongLong(args[1]);
  if (length == -1 && PyErr_Occurred())
    return NULL;
  if (glue_range(mem, offset, length))
    return NULL;
  return PyBytes_FromStringAndSize((const char *)mem->data + offset, (Py_ssize_t)length);
}

static PyObject *glue_write(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  wasm_rt_memory_t *mem = glue_memory((GlueInstance *)self);
  long long offset;
  Py_buffer data;
  if (mem == NULL)
    return NULL;
  if (nargs != 2)
    return glue_arity(nargs, 2, "_write");
  offset = PyLong_AsLongLong(args[0]);
  if (offset == -1 && PyErr_Occurred())
    return NULL;
  if (PyObject_GetBuffer(args[1], &data, PyBUF_SIMPLE) != 0)
    return NULL;
  if (glue_range(mem, offset, (long long)data.len)) {
    PyBuffer_Release(&data);
    return NULL;
  }
  memcpy(mem->data + offset, data.buf, (size_t)data.len);
  PyBuffer_Release(&data);
  Py_RETURN_NONE;
}

static PyObject *glue_size(PyObject *self, PyObject *unused) {
  wasm_rt_memory_t *mem = glue_memory((GlueInstance *)self);
  return mem == NULL ? NULL : PyLong_FromUnsignedLong(mem->size);
}

static PyObject *glue_grow(PyObject *self, PyObject *arg) {
  wasm_rt_memory_t *mem = glue_memory((GlueInstance *)self);
  long long pages;
  uint32_t old;
  if (mem == NULL)
    return NULL;
  pages = PyLong_AsLongLong(arg);
  if (pages == -1 && PyErr_Occurred())
    return NULL;
  if (pages < 0) {
    PyErr_SetString(PyExc_ValueError, "cannot grow a memory by a negative number of pages");
    return NULL;
  }
  old = pages > (long long)UINT32_MAX ? UINT32_MAX : wasm_rt_grow_memory(mem, (uint32_t)pages);
  return PyLong_FromLong(old == UINT32_MAX ? -1L : (long)old);
}

static PyObject *glue_export(PyObject *self, PyObject *arg) {
  Py_ssize_t i = PyLong_AsSsize_t(arg);
  if (i == -1 && PyErr_Occurred())
    return NULL;
  if (i < 0 || i >= (Py_ssize_t)(sizeof(glue_exports) / sizeof(glue_exports[0])) - 1) {
    PyErr_SetString(PyExc_IndexError, "no export with that index");
    return NULL;
  }
  return PyCFunction_NewEx(&glue_exports[i], self, NULL);
}

static int glue_getbuffer(PyObject *self, Py_buffer *view, int flags) {
  wasm_rt_memory_t *mem = glue_memory((GlueInstance *)self);
  if (mem == NULL) {
    view->obj = NULL;
    return -1;
  }
  return PyBuffer_FillInfo(view, self, mem->data, (Py_ssize_t)mem->size, 0, flags);
}

static void glue_dealloc(PyObject *self) {
  GlueInstance *gi = (GlueInstance *)self;
  Z_guest_free(&gi->inst); /* safe on a zeroed or partly made instance */
  Py_XDECREF(gi->imports);
  PyObject_Free(self);
}

static PyMethodDef glue_instance_methods[] = {
  {"_read", (PyCFunction)(void (*)(void))glue_read, METH_FASTCALL, NULL},
  {"_write", (PyCFunction)(void (*)(void))glue_write, METH_FASTCALL, NULL},
  {"_size", glue_size, METH_NOARGS, NULL},
  {"_grow", glue_grow, METH_O, NULL},
  {"_export", glue_export, METH_O, NULL},
  {NULL, NULL, 0, NULL},
};

static PyBufferProcs glue_buffer = {glue_getbuffer, NULL};

static PyTypeObject glue_instance_type = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "wasm2c.Instance",
  .tp_basicsize = sizeof(GlueInstance),
  .tp_dealloc = glue_dealloc,
  .tp_as_buffer = &glue_buffer,
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_methods = glue_instance_methods,
};

/* instantiate(imports: tuple, trap_type) -> Instance */
static PyObject *glue_instantiate(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
  GlueInstance *gi;
  PyObject **fns;
  if (nargs != 2 || !PyTuple_Check(args[0]))
    return PyErr_Format(PyExc_TypeError, "instantiate(imports: tuple, trap_type)");
  if (PyTuple_GET_SIZE(args[0]) != @IMPORT_COUNT@)
    return PyErr_Format(PyExc_ValueError, "the module imports %d functions", @IMPORT_COUNT@);
  Py_INCREF(args[1]);
  Py_XSETREF(glue_trap_type, args[1]);
  gi = PyObject_New(GlueInstance, &glue_instance_type);
  if (gi == NULL)
    return NULL;
  memset(&gi->inst, 0, sizeof(gi->inst));
  Py_INCREF(args[0]);
  gi->imports = args[0];
  fns = ((PyTupleObject *)args[0])->ob_item;
  (void)fns;
  glue_out_of_memory = 0;
  GLUE_CALL(Z_guest_instantiate(&gi->inst@IMPORT_ARGS@),
            { Py_DECREF(gi); return glue_failed(glue_code); });
  if (glue_out_of_memory) {
    Py_DECREF(gi);
    return PyErr_NoMemory();
  }
  return (PyObject *)gi;
}

static PyMethodDef glue_functions[] = {
  {"instantiate", (PyCFunction)(void (*)(void))glue_instantiate, METH_FASTCALL, NULL},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef glue_module = {PyModuleDef_HEAD_INIT, "@NAME@", NULL, -1,
                                         glue_functions};

PyMODINIT_FUNC PyInit_@NAME@(void) {
  PyObject *module;
  if (PyType_Ready(&glue_instance_type) < 0)
    return NULL;
  wasm_rt_init();
  Z_guest_init_module();
  module = PyModule_Create(&glue_module);
  if (module != NULL && PyModule_AddStringConstant(module, "interface", @INTERFACE@) < 0) {
    Py_DECREF(module);
    return NULL;
  }
  return module;
}
"""


def _comment(name: str) -> str:
    return name.replace("*/", "* /")


def _host_function(k: int, f: Function) -> str:
    """The C function wasm2c's output calls for import ``k``: it calls the Python callable."""
    c_params = "".join(f", {WASM_C[t]} p{i}" for i, t in enumerate(f.params))
    ret = WASM_C[f.results[0]] if f.results else "void"
    n = len(f.params)
    lines = [f"/* import {_comment(f.name)} */",
             f"{ret} {f.symbol}(struct {f.struct} *env{c_params}) {{",
             f"  PyObject *fn = ((PyObject *const *)env)[{k}];",
             f"  PyObject *args[{max(n, 1)}];",
             "  PyObject *res;",
             "  sigjmp_buf *saved = glue_target;",
             "  uint32_t depth = wasm_rt_call_stack_depth;"]
    if f.results:
        lines.append(f"  {ret} value;")
    for i, t in enumerate(f.params):
        lines += [f"  args[{i}] = glue_from_{t}(p{i});",
                  f"  if (args[{i}] == NULL) {{",
                  *[f"    Py_DECREF(args[{j}]);" for j in range(i)],
                  "    glue_host_failed();",
                  "  }"]
    lines += [f"  res = PyObject_Vectorcall(fn, args, {n}, NULL);",
              "  glue_target = saved; /* another call may have run meanwhile */",
              "  wasm_rt_call_stack_depth = depth;",
              *[f"  Py_DECREF(args[{i}]);" for i in range(n)],
              "  if (res == NULL)",
              "    glue_host_failed();"]
    if f.results:
        t = f.results[0]
        lines += [f"  if (py_to_{t}(res, &value)) {{",
                  "    Py_DECREF(res);",
                  "    glue_host_failed();",
                  "  }",
                  "  Py_DECREF(res);",
                  "  return value;"]
    else:
        lines.append("  Py_DECREF(res);")
    lines.append("}")
    return "\n".join(lines)


def _export_function(k: int, f: Function) -> str:
    """The METH_FASTCALL function that calls export ``k``."""
    n = len(f.params)
    lines = [f"/* export {_comment(f.name)} */",
             f"static PyObject *glue_x{k}(PyObject *self, PyObject *const *args, "
             "Py_ssize_t nargs) {"]
    for i, t in enumerate(f.params):
        lines.append(f"  {WASM_C[t]} a{i};")
    if f.results:
        lines.append(f"  {WASM_C[f.results[0]]} r;")
    lines += [f"  if (nargs != {n})",
              f"    return glue_arity(nargs, {n}, {c_string(f.name)});"]
    for i, t in enumerate(f.params):
        lines += [f"  if (py_to_{t}(args[{i}], &a{i}))", "    return NULL;"]
    call = f"{f.symbol}(&((GlueInstance *)self)->inst{''.join(f', a{i}' for i in range(n))})"
    lines.append(f"  GLUE_CALL({'r = ' if f.results else ''}{call}, "
                 "return glue_failed(glue_code));")
    lines.append(f"  return glue_from_{f.results[0]}(r);" if f.results else "  Py_RETURN_NONE;")
    lines.append("}")
    return "\n".join(lines)


def glue_source(iface: Interface, name: str) -> str:
    """The extension's C source for a module whose header gave ``iface``."""
    parts = [_host_function(k, f) for k, f in enumerate(iface.imports)]
    parts += [_export_function(k, f) for k, f in enumerate(iface.exports)]
    table = [f"  {{{c_string(f.name)}, (PyCFunction)(void (*)(void))glue_x{k}, METH_FASTCALL, "
             "NULL}," for k, f in enumerate(iface.exports)]
    parts.append("static PyMethodDef glue_exports[] = {\n" + "\n".join(table)
                 + "\n  {NULL, NULL, 0, NULL},\n};")
    memory = f"{iface.memory}(&self->inst)" if iface.memory else "NULL"
    import_args = "".join(f", (struct {s} *)fns" for s in iface.import_structs)
    return (GLUE.replace("@GENERATED@", "\n\n".join(parts))
            .replace("@FROM_PYTHON@", c_values.FROM_PYTHON)
            .replace("@MEMORY@", memory)
            .replace("@IMPORT_COUNT@", str(len(iface.imports)))
            .replace("@IMPORT_ARGS@", import_args)
            .replace("@INTERFACE@", c_string(interface_json(iface)))
            .replace("@NAME@", name))


# --- building -----------------------------------------------------------------------------

def extension_name(key: str) -> str:
    return f"wasm2c_{key}"


def _run(cmd: list[str], cwd: Path, what: str, timeout: int) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Wasm2cBuildError(f"{what} took more than {timeout} s") from None
    except OSError as exc:
        raise Wasm2cBuildError(f"{what}: {exc}") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        first = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "")
        raise Wasm2cBuildError(f"{what} failed: {first.strip() or f'exit code {proc.returncode}'}")


def _header(folder: Path) -> str:
    """wasm2c's header as written: read_text's newline translation would break an export
    comment whose name holds a carriage return (found by scenarios.fuzz)."""
    return (folder / "guest.h").read_bytes().decode("utf-8")


def interface_of(wasm: bytes, toolchain: Toolchain) -> Interface:
    """Translate ``wasm`` only, to read its header (no C compiler): what the glue would see."""
    with tempfile.TemporaryDirectory(prefix="wasm2c-") as tmp:
        folder = Path(tmp)
        (folder / "guest.wasm").write_bytes(wasm)
        _run([toolchain.wasm2c, "guest.wasm", "-n", MODULE_NAME, "-o", "guest.c"], folder,
             "wasm2c", 600)
        return parse_header(_header(folder))


def build(wasm: bytes, toolchain: Toolchain, out: Path, name: str) -> None:
    """Translate and compile ``wasm`` into the extension ``out`` (module name ``name``).

    Raises ``Wasm2cBuildError`` (with wasm2c's or the compiler's first error line).
    """
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out.parent) as tmp:
        folder = Path(tmp)
        (folder / "guest.wasm").write_bytes(wasm)
        _run([toolchain.wasm2c, "guest.wasm", "-n", MODULE_NAME, "-o", "guest.c"], folder,
             "wasm2c", 600)
        iface = parse_header(_header(folder))
        if iface.unsupported_imports:
            raise Wasm2cBuildError(
                f"imports the glue cannot provide (only functions with at most one result): "
                f"{', '.join(iface.unsupported_imports)}")
        (folder / "glue.c").write_text(glue_source(iface, name), encoding="utf-8")
        target = folder / out.name
        _run([toolchain.cc, *FLAGS, f"-I{toolchain.python_include}",
              f"-I{toolchain.runtime_dir}", "-I.", "glue.c", "-o", target.name, "-lm"],
             folder, f"{toolchain.cc_version} on wasm2c's output", 3600)
        os.replace(target, out)


def cached(wasm: bytes, toolchain: Toolchain, folder: Path) -> tuple[Path, str]:
    """The extension built from ``wasm`` in the cache ``folder`` (built there on a miss),
    and its module name."""
    key = cache_key(wasm, toolchain)
    name = extension_name(key)
    target = folder / f"{name}{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"
    if target.exists():
        return target, name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with build_cache.locked(folder):
            if not target.exists():  # another process may have built it while we waited
                build(wasm, toolchain, target, name)
    except OSError as exc:
        raise Wasm2cBuildError(
            f"cannot write the wasm2c build cache {folder} ({exc.strerror or exc}); "
            f"set {CACHE_VAR} to a writable folder") from None
    return target, name
