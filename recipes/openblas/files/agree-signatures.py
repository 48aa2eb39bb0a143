"""Makes OpenBLAS's C declarations of its BLAS/LAPACK entry points agree, for wasm.

On wasm a function called through a declaration of another type does not "mostly work" as
on x86_64: wasm-ld links the call to a stub that traps (`RuntimeError: unreachable`), and a
side module importing a function with another type than the library exports cannot even be
instantiated. OpenBLAS 0.3.31 has three such disagreements (kiln's wrapper fails the link on
the first two; SciPy would meet the third):

1. Return types. Fortran subroutines return nothing; f2c writes them as `int` functions.
   OpenBLAS's translated LAPACK has most as `void` but some (the `*gedmd*`, `*geqp3rk`,
   `*laqp2rk`, `*laqp3rk`, `*rscl`, deprecated routines) still define or declare `int`, and
   OpenBLAS's own LAPACK replacements in `interface/lapack/` (getrf, getrs, gesv, potrf,
   trtrs, laswp, laed3…) are `int` in their definitions and in `common_interface.h`.
   Callers outside OpenBLAS (SciPy's f2py and Cython wrappers) declare every LAPACK routine
   `void`. So every subroutine becomes `void` (and its `return 0;` a `return;`).
2. `xerbla_`: OpenBLAS defines it as `int xerbla_(char *, blasint *, blasint)`, the hidden
   string length included, as most translated callers call it; a few (the `*geqp3rk`,
   `*gedmdq`, deprecated `*gelqs`/`*geqrs`) declare and call it without the length. They
   get the length (the name's length, as the others pass it). `xerbla_` stays `int`, also
   where it was declared in one list with subroutines that are now `void`.
3. BLAS routines are `void` without hidden string lengths in OpenBLAS's interface, and the
   translated LAPACK calls them that way; only their return type needed (1).

Run from the unpacked source (the folder holding `OpenBLAS/`); idempotent.
"""

import glob
import re

ROOT = "OpenBLAS"
XERBLA = "xerbla_(char *, integer *, ftnlen)"
LAPACK_REPLACEMENTS = "getf2|getrf|laswp|getrs|gesv|potf2|potrf|potri|potrs|lauu2|lauum|trti2|trtri"


def rewrite(path, change):
    with open(path) as file:
        old = file.read()
    new = change(old)
    if new != old:
        with open(path, "w") as file:
            file.write(new)
        return 1
    return 0


def interface_header(text):
    pattern = r"^int( +)BLASFUNC\(([sdqcxz](?:%s))\)" % LAPACK_REPLACEMENTS
    return re.sub(pattern, r"void\1BLASFUNC(\2)", text, flags=re.M)


def interface_lapack(text):
    if not re.search(r"^int NAME\(", text, flags=re.M):
        return text
    # One public function per file; the rest are tables of function pointers.
    text = re.sub(r"^int NAME\(", "void NAME(", text, flags=re.M)
    return text.replace("return 0;", "return;")


def translated(text):
    if re.search(r"^/\* Subroutine \*/ int [a-z]", text, flags=re.M):
        # The file defines an `int` subroutine (one routine per file).
        text = text.replace("return 0;", "return;")
    text = re.sub(r"\bint ((?!xerbla_)[a-z][a-z0-9]*_\()", r"void \1", text)
    # Declarations and calls may be wrapped over lines.
    text = re.sub(
        r"xerbla_\(\s*char\s*\*\s*,\s*integer\s*\*\s*(?:,\s*ftnlen\s*)?\)", XERBLA, text
    )
    # `xerbla_` often sits in a list of subroutine declarators (`extern int a_(…), xerbla_(…),
    # b_(…);`), whose base type is now `void`: it gets a declaration of its own, `int`.
    text = re.sub(r"\)\s*,\s*" + re.escape(XERBLA), "); extern int " + XERBLA, text)
    text = re.sub(re.escape(XERBLA) + r"\s*,", XERBLA + "; extern void ", text)
    return re.sub(
        r'xerbla_\(\s*"([A-Z0-9_ ]*)",\s*&(\w+)\s*\);',
        lambda m: f'xerbla_("{m.group(1)}", &{m.group(2)}, (ftnlen){len(m.group(1))});',
        text,
    )


changed = rewrite(f"{ROOT}/common_interface.h", interface_header)
for path in sorted(glob.glob(f"{ROOT}/interface/lapack/*.c")):
    changed += rewrite(path, interface_lapack)
sources = sorted(glob.glob(f"{ROOT}/lapack-netlib/SRC/*.c"))
sources += sorted(glob.glob(f"{ROOT}/lapack-netlib/SRC/DEPRECATED/*.c"))
sources += [f"{ROOT}/lapack-netlib/INSTALL/ilaver.c"]
for path in sources:
    changed += rewrite(path, translated)
print(f"agree-signatures: {changed} files changed")
