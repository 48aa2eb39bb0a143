from ._ext import arange_long, sizeof_long, npy_sizeof_long
