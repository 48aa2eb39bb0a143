"""The total length of a text's words, summed by `tally`'s C extension."""

import six
import tally


def letters(text):
    """How many letters the words of `text` have together."""
    assert isinstance(text, six.string_types)
    return tally.total([len(word) for word in text.split()])
