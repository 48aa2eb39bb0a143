"""Unit tests of `_kiln` on the host's CPython: `python3 -m unittest discover -s runtime/py`.

The helper is loaded as the loader loads it (executed as module `_kiln`, file name "<kiln>");
code it runs goes into this process's `__main__`, as it would in the runtime.
"""

import pathlib
import sys
import types
import unittest


def load_helper():
    module = types.ModuleType("_kiln")
    source = (pathlib.Path(__file__).parent / "_kiln.py").read_text()
    exec(compile(source, "<kiln>", "exec"), module.__dict__)
    return module


kiln = load_helper()


class Answers(unittest.TestCase):
    def test_values_cross_as_kind_and_text(self):
        self.assertEqual(kiln._run("1 + 1"), "int\n2")
        self.assertEqual(kiln._run("x = 3"), "none\n")
        self.assertEqual(kiln._run("0.5"), "float\n0.5")
        self.assertEqual(kiln._run("True"), "bool\n1")
        self.assertEqual(kiln._run("'a\\nb'"), "str\na\nb")
        self.assertEqual(kiln._run("[1, 2]"), "repr\n[1, 2]")
        self.assertEqual(kiln._run("'\\ud800'"), "str\n\\ud800")
        # A final semicolon drops the value, as in a notebook.
        self.assertEqual(kiln._run("1 + 1;"), "none\n")

    def test_errors_carry_the_class_and_a_traceback_without_helper_frames(self):
        answer = kiln._run("def f():\n    1/0\nf()")
        kind, name, traceback = answer.split("\n", 2)
        self.assertEqual((kind, name), ("error", "ZeroDivisionError"))
        self.assertIn('File "<exec>", line 3', traceback)
        self.assertNotIn("<kiln>", traceback)

    def test_top_level_await_runs_on_a_loop_kept_across_calls(self):
        self.assertEqual(kiln._run_async("import asyncio\nawait asyncio.sleep(0)\n'done'"), "str\ndone")
        self.assertEqual(kiln._run_async("await asyncio.sleep(0, 5)"), "int\n5")

    def test_globals_and_argv(self):
        self.assertEqual(kiln._set('["data", {"a": [1, 2]}]'), "none\n")
        self.assertEqual(kiln._get("data"), "repr\n{'a': [1, 2]}")
        self.assertEqual(kiln._get("no_such_name_here"), "undefined\n")
        argv = sys.argv[:]
        try:
            kiln._set_argv("prog\x1fa\nb")
            self.assertEqual(sys.argv, ["prog", "a\nb"])
        finally:
            sys.argv[:] = argv


class Imports(unittest.TestCase):
    def test_top_level_modules_of_absolute_imports_in_order(self):
        code = "import a.b, c\nfrom d.e import f\nfrom . import g\ndef h():\n    import i\n# import j\n"
        self.assertEqual(kiln._find_imports(code), "str\na\nc\nd\ni")
        self.assertEqual(kiln._find_imports("await x\nimport k"), "str\nk")
        self.assertEqual(kiln._find_imports("import ("), "str\n")


if __name__ == "__main__":
    unittest.main()
