#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* total(iterable of ints) -> their sum, as a C long long */
static PyObject *total(PyObject *self, PyObject *arg) {
    PyObject *iterator = PyObject_GetIter(arg);
    if (iterator == NULL) return NULL;
    long long sum = 0;
    PyObject *item;
    while ((item = PyIter_Next(iterator)) != NULL) {
        long long value = PyLong_AsLongLong(item);
        Py_DECREF(item);
        if (value == -1 && PyErr_Occurred()) {
            Py_DECREF(iterator);
            return NULL;
        }
        sum += value;
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) return NULL;
    return PyLong_FromLongLong(sum);
}

static PyObject *pointer_bits(PyObject *self, PyObject *unused) {
    return PyLong_FromLong((long)(sizeof(void *) * 8));
}

static PyMethodDef methods[] = {
    {"total", total, METH_O, "The sum of an iterable of integers, in C."},
    {"pointer_bits", pointer_bits, METH_NOARGS, "The width of a C pointer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
