import numpy
from setuptools import Extension, setup

setup(
    packages=["numpy_capi"],
    ext_modules=[
        Extension("numpy_capi._ext", ["numpy_capi/_ext.c"], include_dirs=[numpy.get_include()])
    ],
)
