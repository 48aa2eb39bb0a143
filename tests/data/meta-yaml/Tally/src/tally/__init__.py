"""Sums through libtally, a static library linked into the extension."""

from importlib.resources import files

from ._tally import library_version, total

PATCHED = False


def words():
    """The words of `words.txt` (copied in by the recipe's `source.extras`)."""
    return files(__name__).joinpath("words.txt").read_text().split()


def greeting():
    """The text of `greeting.txt` (copied in by the recipe's script from `$PKGDIR`)."""
    return files(__name__).joinpath("greeting.txt").read_text().strip()
