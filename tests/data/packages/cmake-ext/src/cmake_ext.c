#include <Python.h>
#include <setjmp.h>

/* What CMake's probes found, as the extension was compiled. */
static PyObject *probes(PyObject *self, PyObject *unused) {
#ifdef CMAKE_EXT_HAVE_STRLEN
    return Py_BuildValue("{s:O}", "strlen", Py_True);
#else
    return Py_BuildValue("{s:O}", "strlen", Py_False);
#endif
}

/* setjmp/longjmp across a call: works only when the object was compiled with the platform's
   `-sSUPPORT_LONGJMP=wasm` (the wrapper adds it; emcc alone would not). */
static jmp_buf env;
static void jump(int value) { longjmp(env, value); }
static PyObject *throws(PyObject *self, PyObject *unused) {
    int value = setjmp(env);
    if (value == 0) {
        jump(42);
    }
    return PyLong_FromLong(value);
}

static PyMethodDef methods[] = {
    {"probes", probes, METH_NOARGS, NULL},
    {"throws", throws, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cmake_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit__cmake_ext(void) { return PyModule_Create(&module); }
