import os

from setuptools import Extension, setup

# The recipe's script says where libtally is installed; fail loudly when it does not.
prefix = os.environ["TALLY_PREFIX"]
header = os.path.join(prefix, "include", "tally.h")
if not os.path.isfile(header):
    raise SystemExit(f"no {header}: TALLY_PREFIX={prefix!r}")

setup(
    ext_modules=[
        Extension(
            "tally._tally",
            ["src_c/_tally.c"],
            include_dirs=[os.path.join(prefix, "include")],
            library_dirs=[os.path.join(prefix, "lib")],
            libraries=["tally"],
        )
    ]
)
