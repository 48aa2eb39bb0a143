from setuptools import Extension, setup

# No include_dirs or library_dirs: the host prefix (kiln's zlib) is searched by default.
setup(
    packages=["zlib_ext"],
    ext_modules=[Extension("zlib_ext._crc", ["zlib_ext/_crc.c"], libraries=["z"])],
)
