#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/arrayobject.h>

/* An array of C longs 0..n-1 made through the C API. */
static PyObject *arange_long(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n < 0 && PyErr_Occurred()) return NULL;
    npy_intp dims[1] = {n};
    PyObject *array = PyArray_SimpleNew(1, dims, NPY_LONG);
    if (!array) return NULL;
    long *data = (long *)PyArray_DATA((PyArrayObject *)array);
    for (long i = 0; i < n; i++) data[i] = i;
    return array;
}

static PyObject *sizeof_long(PyObject *self, PyObject *unused) { return PyLong_FromLong(sizeof(long)); }

/* What the numpy headers this was compiled against say a long is. */
static PyObject *npy_sizeof_long(PyObject *self, PyObject *unused) { return PyLong_FromLong(NPY_SIZEOF_LONG); }

static PyMethodDef methods[] = {
    {"arange_long", arange_long, METH_O, NULL},
    {"sizeof_long", sizeof_long, METH_NOARGS, NULL},
    {"npy_sizeof_long", npy_sizeof_long, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit__ext(void) {
    import_array();
    return PyModule_Create(&module);
}
