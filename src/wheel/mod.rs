//! Wheels: from what a PEP 517 backend wrote to the wheel kiln ships.
//!
//! This stage sits after the package build (the backend's `python -m build --wheel` in the
//! cross-build environment, which leaves a wheel tagged and named however the backend saw fit)
//! and before the lockfile (which lists the wheels this stage writes, with their sha256).
//! [`repair()`] reads that wheel and writes kiln's:
//! - tags: `cp313-cp313-<platform>` when it holds extension modules or shared libraries
//!   (`abi3` wheels keep `abi3`), the backend's own tags when it is pure;
//! - extension modules named `*.cpython-313-wasm32-emscripten.so` (a bare `foo.so` that exports
//!   `PyInit_foo` is renamed; one built for another platform is an error);
//! - every `.so` checked to be an emscripten side module and stripped of debug sections;
//! - test folders moved into a separate `<name>-tests` wheel (Pyodide's "unvendor tests");
//! - shared libraries the package needs copied in;
//! - a fresh `RECORD`, entries in a fixed order, fixed timestamps and modes, atomic writes.
//!
//! [`link_check_wheel`] (and the lower-level [`link_check`]) then verifies that every undefined
//! symbol of every side module is provided by the runtime, by a shared library in the wheel or
//! by a dependency; see [`linkcheck`] for the rules.
//!
//! It does not build anything, read `recipe.toml`, resolve dependencies, write the lockfile, or
//! run tests. It trusts the backend's `METADATA` (copied unchanged); it only renames the
//! `.dist-info` and `.data` folders to the normalised `{name}-{version}` of the file name.

pub mod filename;
pub mod linkcheck;
pub mod repair;
pub mod wasm;
pub mod writer;

use std::path::PathBuf;

pub use filename::{FilenameProblem, ParseWheelFilenameError, WheelFilename};
pub use linkcheck::{LOADER_PROVIDED, LinkCheckError, SymbolSet, link_check};
pub use repair::{RepairOptions, RepairedWheel, RepairedWheels, link_check_wheel, repair};
pub use wasm::{SideModule, WasmError, exports_of_wasm, strip_debug};

/// Why a wheel could not be read, repaired, written or checked. `wheel` is the file on disk,
/// `entry` a path inside it.
#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    #[error("`{}` is not named like a wheel", wheel.display())]
    Filename {
        wheel: PathBuf,
        #[source]
        source: ParseWheelFilenameError,
    },
    #[error("cannot read the wheel `{}`", wheel.display())]
    Read {
        wheel: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the wheel `{}` as a zip archive", wheel.display())]
    Archive {
        wheel: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("cannot read `{entry}` in the wheel `{}`", wheel.display())]
    ReadEntry {
        wheel: PathBuf,
        entry: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "`{entry}` in the wheel `{}` is not a plain relative path (absolute, `..`, `\\` or empty part)",
        wheel.display()
    )]
    UnsafePath { wheel: PathBuf, entry: String },
    #[error("`{entry}` in the wheel `{}` is a symbolic link, which wheels cannot hold", wheel.display())]
    Symlink { wheel: PathBuf, entry: String },
    #[error("`{entry}` appears twice in the wheel `{}`", wheel.display())]
    DuplicateEntry { wheel: PathBuf, entry: String },
    #[error(
        "the wheel `{}` must have exactly one top-level `.dist-info` folder, found {}",
        wheel.display(),
        if found.is_empty() { "none".to_string() } else { format!("`{}`", found.join("`, `")) }
    )]
    DistInfo { wheel: PathBuf, found: Vec<String> },
    #[error("the wheel `{}` has no `{entry}`", wheel.display())]
    MissingMetadata { wheel: PathBuf, entry: String },
    #[error(
        "`{entry}` in the wheel `{}` is not WebAssembly: it was compiled for the build machine, not for wasm32-emscripten",
        wheel.display()
    )]
    NotWasm { wheel: PathBuf, entry: String },
    #[error("cannot use `{entry}` in the wheel `{}` as an emscripten side module", wheel.display())]
    Wasm {
        wheel: PathBuf,
        entry: String,
        #[source]
        source: WasmError,
    },
    #[error(
        "extension module `{entry}` in the wheel `{}` was built for another interpreter or platform; expected the suffix `{expected_suffix}`",
        wheel.display()
    )]
    ForeignExtension {
        wheel: PathBuf,
        entry: String,
        expected_suffix: String,
    },
    #[error(
        "cannot rename `{entry}` to `{target}` in the wheel `{}`: `{target}` exists",
        wheel.display()
    )]
    RenameCollision {
        wheel: PathBuf,
        entry: String,
        target: String,
    },
    #[error("cannot read the shared library `{}`", path.display())]
    SharedLibrary {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("python tag `{tag}` is not of the form `cp313`")]
    PythonTag { tag: String },
    #[error("invalid tags for the wheel `{}`", wheel.display())]
    Tags {
        wheel: PathBuf,
        #[source]
        source: FilenameProblem,
    },
    #[error("cannot build the archive `{}`", wheel.display())]
    Zip {
        wheel: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("cannot write the wheel `{}`", wheel.display())]
    Write {
        wheel: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the wheel `{}` fails the link check", wheel.display())]
    LinkCheck {
        wheel: PathBuf,
        #[source]
        source: LinkCheckError,
    },
    /// A shared library recipe's side module that a package depends on.
    #[error("the shared library `{}` fails the link check", library.display())]
    LibraryLinkCheck {
        library: PathBuf,
        #[source]
        source: LinkCheckError,
    },
}
