import sys

import pytest

import kilnsum


def test_total():
    assert kilnsum.total(range(101)) == 5050


def test_total_of_large_numbers():
    assert kilnsum.total([2**40, 2**40]) == 2**41


def test_runs_on_wasm32():
    assert sys.platform == "emscripten"
    assert kilnsum.pointer_bits() == 32


def test_rejects_non_integers():
    with pytest.raises(TypeError):
        kilnsum.total(["x"])
