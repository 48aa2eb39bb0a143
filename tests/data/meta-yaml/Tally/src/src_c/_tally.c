#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "tally.h"

#ifndef TALLY_SCALE
#error "TALLY_SCALE comes from the recipe's cflags"
#endif

static PyObject *total(PyObject *self, PyObject *iterable) {
  PyObject *seq = PySequence_Fast(iterable, "total() takes a sequence of integers");
  if (seq == NULL) {
    return NULL;
  }
  Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
  long *numbers = PyMem_Malloc(sizeof(long) * (count ? count : 1));
  if (numbers == NULL) {
    Py_DECREF(seq);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < count; i++) {
    numbers[i] = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
    if (numbers[i] == -1 && PyErr_Occurred()) {
      PyMem_Free(numbers);
      Py_DECREF(seq);
      return NULL;
    }
  }
  long sum = tally_sum(numbers, (int)count) * TALLY_SCALE;
  PyMem_Free(numbers);
  Py_DECREF(seq);
  return PyLong_FromLong(sum);
}

static PyObject *library_version(PyObject *self, PyObject *unused) {
  return PyUnicode_FromString(tally_version());
}

static PyMethodDef methods[] = {
    {"total", total, METH_O, "The sum of a sequence of integers, by libtally."},
    {"library_version", library_version, METH_NOARGS, "libtally's version."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tally", NULL, -1, methods};

PyMODINIT_FUNC PyInit__tally(void) { return PyModule_Create(&module); }
