from setuptools import Extension, setup

setup(
    packages=["kilnsum"],
    ext_modules=[Extension("kilnsum._native", ["kilnsum/_native.c"])],
)
