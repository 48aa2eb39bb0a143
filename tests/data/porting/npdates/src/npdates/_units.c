#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>

/* NPY_DATETIMEUNIT order: Y M W (B) D h m s ms us ns ps fs as generic */
static const char *unit_names[] = {"Y",  "M",  "W",  "B",  "D",  "h",  "m",  "s",
                                   "ms", "us", "ns", "ps", "fs", "as", "generic"};

/* unit(array) -> (unit, count) of a datetime64/timedelta64 array's dtype */
static PyObject *unit(PyObject *self, PyObject *arg) {
    if (!PyArray_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected a NumPy array");
        return NULL;
    }
    PyArray_Descr *descr = PyArray_DESCR((PyArrayObject *)arg);
    if (descr->type_num != NPY_DATETIME && descr->type_num != NPY_TIMEDELTA) {
        PyErr_SetString(PyExc_TypeError, "expected a datetime64 or timedelta64 array");
        return NULL;
    }
    PyArray_DatetimeMetaData *meta =
        &(((PyArray_DatetimeDTypeMetaData *)PyDataType_C_METADATA(descr))->meta);
    if ((unsigned)meta->base >= sizeof(unit_names) / sizeof(unit_names[0])) {
        PyErr_Format(PyExc_ValueError, "unknown datetime unit %d", (int)meta->base);
        return NULL;
    }
    return Py_BuildValue("(si)", unit_names[meta->base], meta->num);
}

static PyObject *long_size(PyObject *self, PyObject *unused) {
    return PyLong_FromLong(NPY_SIZEOF_LONG);
}

static PyMethodDef methods[] = {
    {"unit", unit, METH_O, "The (unit, count) of a datetime64 array's dtype."},
    {"long_size", long_size, METH_NOARGS, "sizeof(long) as NumPy's headers say."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_units", NULL, -1, methods};

PyMODINIT_FUNC PyInit__units(void) {
    import_array();
    return PyModule_Create(&module);
}
