"""Unit tests of `_kiln` on the host's CPython: `python3 -m unittest discover -s runtime/py`.

`_kiln` is imported from this folder, as the runtime imports it from its standard library
folder; code it runs goes into this process's `__main__`, as it would in the runtime. The rest
of the bridge's Python half needs the runtime (tests/browser/bridge.test.mjs).
"""

import asyncio
import sys
import unittest

import _kiln


class EvalCode(unittest.TestCase):
    def test_the_final_expression_is_the_result(self):
        self.assertEqual(_kiln.eval_code("1 + 1"), 2)
        self.assertIsNone(_kiln.eval_code("x = 3"))
        self.assertEqual(_kiln.eval_code("x = 3\nx * 2"), 6)
        # A final semicolon drops the value, as in a notebook.
        self.assertIsNone(_kiln.eval_code("1 + 1;"))
        namespace = {}
        _kiln.eval_code("y = 5", namespace)
        self.assertEqual(namespace["y"], 5)

    def test_top_level_await_gives_a_coroutine(self):
        code = _kiln.eval_code_async("import asyncio\nawait asyncio.sleep(0)\n'done'")
        self.assertEqual(asyncio.run(code), "done")
        self.assertEqual(asyncio.run(_kiln.eval_code_async("await asyncio.sleep(0, 5)")), 5)
        self.assertEqual(asyncio.run(_kiln.eval_code_async("7")), 7)

    def test_the_console_shows_the_repr_of_the_value(self):
        self.assertEqual(asyncio.run(_kiln.console_run("'a' * 2")), "'aa'")
        self.assertIsNone(asyncio.run(_kiln.console_run("z = 1")))

    def test_globals_get_falls_back_to_builtins(self):
        self.assertEqual(_kiln.globals_get({"a": 1}, "a"), 1)
        self.assertIs(_kiln.globals_get({}, "dict"), dict)
        self.assertIsNone(_kiln.globals_get({}, "no_such_name_anywhere"))


class Errors(unittest.TestCase):
    def test_tracebacks_leave_out_the_helpers_frames_and_set_last_exc(self):
        try:
            _kiln.eval_code("def f():\n    1/0\nf()")
        except ZeroDivisionError as exc:
            text = _kiln.format_exception(exc)
        self.assertTrue(text.startswith("Traceback (most recent call last):\n"))
        self.assertIn('File "<exec>", line 3', text)
        self.assertNotIn("_kiln.py", text)
        self.assertTrue(text.endswith("ZeroDivisionError: division by zero\n"))
        self.assertIsInstance(sys.last_value, ZeroDivisionError)


class Console(unittest.TestCase):
    def test_complete_statements(self):
        self.assertTrue(_kiln.is_complete("x = 1"))
        self.assertFalse(_kiln.is_complete("def f():"))
        self.assertFalse(_kiln.is_complete("for i in range(3):\n    print(i)"))
        self.assertTrue(_kiln.is_complete("for i in range(3):\n    print(i)\n"))
        self.assertTrue(_kiln.is_complete("1 +"), "a syntax error is complete: running it reports it")


class Imports(unittest.TestCase):
    def test_top_level_modules_of_absolute_imports_in_order(self):
        code = "import a.b, c\nfrom d.e import f\nfrom . import g\ndef h():\n    import i\n# import j\n"
        self.assertEqual(_kiln.find_imports(code), "a\nc\nd\ni")
        self.assertEqual(_kiln.find_imports("await x\nimport k"), "k")
        self.assertEqual(_kiln.find_imports("import ("), "")

    def test_packages_installed_answers_a_string(self):
        self.assertEqual(_kiln.packages_installed("/no/such/site-packages"), "")
        sys.path.remove("/no/such/site-packages")


class Archives(unittest.TestCase):
    class Buffer:
        """What a JsBuffer gives unpack_archive."""

        def __init__(self, data):
            self.data = data

        def to_bytes(self):
            return self.data

    def test_zip_and_tar_by_format_or_extension(self):
        import io
        import tarfile
        import tempfile
        import zipfile

        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as z:
            z.writestr("pkg/a.txt", "zip")
        tarred = io.BytesIO()
        with tarfile.open(fileobj=tarred, mode="w:gz") as t:
            info = tarfile.TarInfo("b.txt")
            info.size = 3
            t.addfile(info, io.BytesIO(b"tar"))
        with tempfile.TemporaryDirectory() as target:
            _kiln.unpack_archive(self.Buffer(zipped.getvalue()), "whl", target)
            _kiln.unpack_archive(self.Buffer(tarred.getvalue()), ".tar.gz", target)
            with open(f"{target}/pkg/a.txt") as f:
                self.assertEqual(f.read(), "zip")
            with open(f"{target}/b.txt") as f:
                self.assertEqual(f.read(), "tar")
        with self.assertRaisesRegex(ValueError, "unknown archive format 'rar'"):
            _kiln.unpack_archive(self.Buffer(b""), "rar")


if __name__ == "__main__":
    unittest.main()
