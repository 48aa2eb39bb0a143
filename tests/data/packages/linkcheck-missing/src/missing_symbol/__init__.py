from ._ext import call_it
