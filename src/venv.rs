//! `kiln venv DIR`: a virtual environment for the runtime, as `pyodide venv` makes, so that a
//! package's own test suite runs on the platform the way it runs natively.
//!
//! ```text
//! DIR/pyvenv.cfg                          what the venv is for (platform, Python, kiln)
//! DIR/bin/python, python3, python3.15     the runtime under Node: `node …/python.mjs "$@"`
//! DIR/bin/pip, pip3                       the build machine's pip, installing wheels for the
//!                                         platform (pyemscripten and pure) into site-packages
//! DIR/lib/kiln-runtime/                   the runtime bundle (python.mjs, python.wasm, stdlib)
//! DIR/lib/kiln-pip.py                     what `bin/pip` runs
//! DIR/lib/python3.15/site-packages/       installed packages, on the runtime's `sys.path`
//! ```
//! `bin/python` takes python3's arguments and exits with CPython's status (pytest's own exit
//! codes included: 1 for failures, 5 when it collected nothing). The runtime sees the host's
//! folders at their own paths (the current folder, the test files); `site-packages` is on its
//! `PYTHONPATH`.
//!
//! `bin/pip install` runs `pip install --target site-packages --only-binary=:all:` with the
//! platform's tags (`--platform pyemscripten_2026_5_wasm32 --python-version 3.15 --abi cp315
//! --abi abi3 --abi none`): a wheel for another platform is refused as natively, and a package
//! with no wheel for the platform is built with `kiln build` first. `pip list` and `pip
//! freeze` read the same folder. This module writes the files; `cli/venv.rs` builds the
//! runtime that goes into `lib/kiln-runtime`.

use std::path::{Path, PathBuf};

use crate::run::shell_quote;
use crate::toolchain::Abi;

/// The folder of the runtime bundle inside a venv.
pub const RUNTIME_DIR: &str = "lib/kiln-runtime";

/// What a venv is made of and for.
pub struct VenvSpec<'a> {
    pub dir: &'a Path,
    pub abi: &'a Abi,
    /// The runtime's full version (`3.15.0rc2`), for `pyvenv.cfg`.
    pub python_full: &'a str,
    /// The build machine's Python that runs pip (absolute).
    pub host_python: &'a Path,
}

impl VenvSpec<'_> {
    /// `lib/python3.15/site-packages`.
    pub fn site_packages(&self) -> PathBuf {
        self.dir
            .join(self.abi.python.stdlib_dir())
            .join("site-packages")
    }

    /// Writes every file of the venv except the runtime bundle (see the module header).
    pub fn write(&self) -> std::io::Result<()> {
        let bin = self.dir.join("bin");
        fs_err::create_dir_all(&bin)?;
        fs_err::create_dir_all(self.site_packages())?;
        fs_err::create_dir_all(self.dir.join(RUNTIME_DIR))?;
        fs_err::write(self.dir.join("pyvenv.cfg"), self.pyvenv_cfg())?;
        fs_err::write(self.dir.join("lib/kiln-pip.py"), self.pip_program())?;
        let python = self.python_script();
        let pip = self.pip_script();
        let version = self.abi.python;
        for (name, text) in [
            ("python".to_string(), &python),
            ("python3".to_string(), &python),
            (format!("python{version}"), &python),
            ("pip".to_string(), &pip),
            ("pip3".to_string(), &pip),
            (format!("pip{version}"), &pip),
        ] {
            let path = bin.join(name);
            fs_err::write(&path, text)?;
            use std::os::unix::fs::PermissionsExt;
            fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(())
    }

    fn pyvenv_cfg(&self) -> String {
        format!(
            "# Written by `kiln venv`: Python for the WebAssembly platform {platform}.\n\
             home = {runtime}\n\
             implementation = CPython\n\
             version_info = {python}\n\
             include-system-site-packages = false\n\
             kiln-platform = {platform}\n\
             kiln-version = {kiln}\n",
            platform = self.abi.id,
            runtime = self.dir.join(RUNTIME_DIR).display(),
            python = self.python_full,
            kiln = env!("CARGO_PKG_VERSION"),
        )
    }

    /// `bin/python`: the venv's folder found from the script's own path (a venv may be
    /// moved), `site-packages` on `PYTHONPATH`, then Node running the runtime.
    fn python_script(&self) -> String {
        let site = self
            .site_packages()
            .strip_prefix(self.dir)
            .expect("site-packages is inside the venv")
            .display()
            .to_string();
        format!(
            "#!/bin/sh\n\
             # Written by `kiln venv`: CPython {python} for {platform}, the WebAssembly runtime under\n\
             # Node. Arguments and exit status are python3's.\n\
             venv=$(CDPATH= cd -- \"$(dirname -- \"$0\")/..\" && pwd)\n\
             node=${{KILN_NODE:-node}}\n\
             if ! command -v \"$node\" >/dev/null 2>&1; then\n\
             \x20 echo \"kiln venv: \\`$node\\` is not on PATH: the runtime needs Node.js 20 or later (or set KILN_NODE)\" >&2\n\
             \x20 exit 127\n\
             fi\n\
             export PYTHONPATH=\"$venv/{site}${{PYTHONPATH:+:$PYTHONPATH}}\"\n\
             export VIRTUAL_ENV=\"$venv\"\n\
             exec \"$node\" \"$venv/{runtime}/python.mjs\" \"$@\"\n",
            python = self.python_full,
            platform = self.abi.id,
            runtime = RUNTIME_DIR,
        )
    }

    /// `bin/pip`: the build machine's Python running `lib/kiln-pip.py`.
    fn pip_script(&self) -> String {
        format!(
            "#!/bin/sh\n\
             # Written by `kiln venv`: pip on the build machine, installing wheels for {platform}.\n\
             venv=$(CDPATH= cd -- \"$(dirname -- \"$0\")/..\" && pwd)\n\
             exec {python} \"$venv/lib/kiln-pip.py\" \"$@\"\n",
            platform = self.abi.id,
            python = shell_quote(&self.host_python.display().to_string()),
        )
    }

    /// `lib/kiln-pip.py`: `install`/`download` with the platform's tags into site-packages;
    /// `list`/`freeze` of site-packages; anything else refused with a reason.
    fn pip_program(&self) -> String {
        let python = self.abi.python;
        let literal = |text: &str| serde_json::to_string(text).expect("a string serialises");
        format!(
            r#""""pip for a kiln venv (written by `kiln venv`): wheels for {platform} into its site-packages."""
import os
import subprocess
import sys

VENV = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = os.path.join(VENV, {site})
TARGET = [
    "--only-binary=:all:",
    "--platform", {platform_tag},
    "--python-version", {python_version},
    "--implementation", "cp",
    "--abi", {abi}, "--abi", "abi3", "--abi", "none",
]


def pip(args):
    return subprocess.call([sys.executable, "-m", "pip", "--disable-pip-version-check", *args])


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help", "--version", "-V"):
        return pip(argv)
    command, rest = argv[0], argv[1:]
    if command == "install":
        # --upgrade: with --target, pip replaces what is there only when told to.
        return pip(["install", "--target", SITE, "--upgrade", *TARGET, *rest])
    if command == "download":
        return pip(["download", *TARGET, *rest])
    if command in ("list", "freeze"):
        return pip([command, "--path", SITE, *rest])
    sys.stderr.write(
        f"kiln venv: `pip {{command}}` is not available in this venv; it installs with "
        f"`pip install`, lists with `pip list`/`pip freeze`, and its packages are folders in {{SITE}}\n"
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
"#,
            platform = self.abi.id,
            site = literal(&format!("{}/site-packages", python.stdlib_dir())),
            platform_tag = literal(&self.abi.platform),
            python_version = literal(&python.to_string()),
            abi = literal(&python.interpreter_tag()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abi() -> Abi {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("platforms/pyemscripten_2026_5.toml");
        Abi::load(&path).unwrap()
    }

    #[test]
    fn writes_python_and_pip_for_the_platform() {
        let dir = tempfile::tempdir().unwrap();
        let abi = abi();
        let spec = VenvSpec {
            dir: dir.path(),
            abi: &abi,
            python_full: "3.15.0rc2",
            host_python: Path::new("/usr/bin/python3"),
        };
        spec.write().unwrap();
        let python = fs_err::read_to_string(dir.path().join("bin/python3.15")).unwrap();
        assert!(python.contains("exec \"$node\" \"$venv/lib/kiln-runtime/python.mjs\" \"$@\""));
        assert!(
            python.contains("$venv/lib/python3.15/site-packages"),
            "{python}"
        );
        let pip = fs_err::read_to_string(dir.path().join("bin/pip")).unwrap();
        assert!(
            pip.contains("exec /usr/bin/python3 \"$venv/lib/kiln-pip.py\" \"$@\""),
            "{pip}"
        );
        let program = fs_err::read_to_string(dir.path().join("lib/kiln-pip.py")).unwrap();
        for expected in [
            "\"--platform\", \"pyemscripten_2026_5_wasm32\"",
            "\"--python-version\", \"3.15\"",
            "\"--abi\", \"cp315\"",
            "SITE = os.path.join(VENV, \"lib/python3.15/site-packages\")",
        ] {
            assert!(program.contains(expected), "{expected} in {program}");
        }
        assert!(dir.path().join("lib/python3.15/site-packages").is_dir());
        use std::os::unix::fs::PermissionsExt;
        let mode = fs_err::metadata(dir.path().join("bin/python"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
}
