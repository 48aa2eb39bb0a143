#include <Python.h>
#include <kilndemo.h>

/* Resolved at load time from libkilndemo.so, loaded globally by the loader first. */
static PyObject *answer(PyObject *self, PyObject *arg) {
    return PyLong_FromLong(kilndemo_answer((int)PyLong_AsLong(arg)));
}

static PyMethodDef methods[] = {{"answer", answer, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ext", NULL, -1, methods};
PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&module); }
