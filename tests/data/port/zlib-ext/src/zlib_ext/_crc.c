#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <zlib.h>

static PyObject *crc(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    uLong value = crc32(0L, (const Bytef *)view.buf, (uInt)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(value);
}

static PyObject *version(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(zlibVersion());
}

static PyMethodDef methods[] = {
    {"crc32", crc, METH_O, "crc32 of a bytes-like object, by zlib."},
    {"version", version, METH_NOARGS, "zlib's version."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_crc", NULL, -1, methods};

PyMODINIT_FUNC PyInit__crc(void) { return PyModule_Create(&module); }
