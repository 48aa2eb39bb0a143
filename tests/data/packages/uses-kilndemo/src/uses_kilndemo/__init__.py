from ._ext import answer
