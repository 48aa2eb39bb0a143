#include <Python.h>

/* Declared, never defined anywhere: a side module links fine with it undefined. */
extern int kiln_no_such_function(int);

static PyObject *call_it(PyObject *self, PyObject *arg) {
    return PyLong_FromLong(kiln_no_such_function((int)PyLong_AsLong(arg)));
}

static PyMethodDef methods[] = {{"call_it", call_it, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ext", NULL, -1, methods};
PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&module); }
