//! Rust extension packages (PyO3 through maturin or setuptools-rust).
//!
//! Debian ships Rust's standard library for the build machine only, so kiln builds std for
//! the ABI's target (`wasm32-unknown-emscripten`) itself, **once per toolchain and ABI**, and
//! keeps it in the build cache as a rustc sysroot (`builds-v0/rust-std/<key>/prefix`):
//! ```text
//! lib/rustlib/wasm32-unknown-emscripten/lib/*.rlib   core, alloc, std, panic_unwind, panic_abort…
//! lib/rustlib/x86_64-unknown-linux-gnu -> /usr/lib/rustlib/…   the root's own host std
//! lib/rustlib/src -> /usr/lib/rustlib/src
//! ```
//! It is cargo's `-Zbuild-std` run on a tiny driver crate, offline: std's own dependencies come
//! from the Rust source's `library/vendor` (Debian's `rust-src`) through a source
//! replacement in a throwaway `CARGO_HOME`. `panic_abort` is compiled with `-Cpanic=abort`, as
//! Rust's own bootstrap does, so the one sysroot serves both panic strategies.
//!
//! A package build that has a Cargo manifest then gets, before the PEP 517 build:
//! `cargo fetch --locked` into kiln's shared `CARGO_HOME` (offline when every crate is already
//! there, so a rebuild needs no network), `cargo metadata` saved for the record, and an
//! environment ([`package_env`]) in which rustc compiles against that sysroot with the ABI's
//! flags and cargo never touches the network. rustc links with emcc itself (`-sSIDE_MODULE=2`
//! with the module's exports): kiln's compiler wrapper is deliberately not its linker, since
//! it would read rustc's `-s EXPORTED_FUNCTIONS=…` pair as gcc's `-s`.

use std::path::{Path, PathBuf};

use crate::hash::{KeyHasher, Sha256};
use crate::run::shell_quote;
use crate::toolchain::{Abi, PanicStrategy, RustAbi};

/// The build cache's name for the prebuilt std (`kiln cache list` shows it).
pub const STD_NAME: &str = "rust-std";
/// Bumped whenever [`std_script`] changes what it builds (2: std carries LLVM bitcode).
const STD_LOGIC_VERSION: &str = "2";
/// The crate name of the driver build-std is run on; its own files are left out of the sysroot.
const DRIVER_CRATE: &str = "kiln_std_driver";

/// The cache key of the std sysroot: the root's packages (rustc, rust-src, emscripten are
/// among them) and the ABI file (target, panic strategy, flags).
pub fn std_key(toolchain_id: &Sha256, abi: &Abi) -> Sha256 {
    let mut hasher = KeyHasher::new();
    hasher
        .field("kiln-rust-std", STD_LOGIC_VERSION)
        .field("toolchain", toolchain_id.as_bytes())
        .field("abi", abi.text.as_bytes());
    hasher.finish()
}

/// The Cargo manifest a Python package builds its extension from: `[tool.maturin]
/// manifest-path`, the first `[[tool.setuptools-rust.ext-modules]] path`, or `Cargo.toml` at
/// the top of the source. `None`: not a Rust package.
pub fn find_manifest(source_dir: &Path) -> Option<PathBuf> {
    let pyproject = fs_err::read_to_string(source_dir.join("pyproject.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok());
    let tool = pyproject
        .as_ref()
        .and_then(|document| document.get("tool"))
        .and_then(|tool| tool.as_table());
    let maturin = tool
        .and_then(|tool| tool.get("maturin"))
        .and_then(|maturin| maturin.get("manifest-path"))
        .and_then(|path| path.as_str());
    let setuptools_rust = tool
        .and_then(|tool| tool.get("setuptools-rust"))
        .and_then(|table| table.get("ext-modules"))
        .and_then(|modules| modules.as_array())
        .and_then(|modules| modules.first())
        .and_then(|module| module.get("path"))
        .and_then(|path| path.as_str());
    let candidates = [maturin, setuptools_rust, Some("Cargo.toml")];
    candidates
        .into_iter()
        .flatten()
        .map(|relative| source_dir.join(relative))
        .find(|path| path.is_file())
}

/// The `Cargo.lock` that pins the manifest's crates: next to it or in a folder above it (a
/// workspace), not above the source tree.
pub fn find_lockfile(manifest: &Path, source_dir: &Path) -> Option<PathBuf> {
    manifest
        .parent()?
        .ancestors()
        .take_while(|dir| dir.starts_with(source_dir))
        .map(|dir| dir.join("Cargo.lock"))
        .find(|path| path.is_file())
}

/// The build script of the std sysroot (run in the root, `$PREFIX` becomes the sysroot).
pub fn std_script(rust: &RustAbi, work: &Path) -> String {
    let work = work.display().to_string();
    let target = &rust.target;
    let flags = rust.rustflags.join(" ");
    format!(
        r#"W={work}
target={target}
# std's own dependencies, pinned by library/Cargo.lock, come from the source's vendor folder.
vendor=$(echo /usr/src/rustc-*/library/vendor)
[ -d "$vendor" ] || {{ echo "kiln: no Rust library source (rust-src) in the root: $vendor" >&2; exit 1; }}
mkdir -p "$W/cargo-home" "$W/driver/src"
cat > "$W/cargo-home/config.toml" <<EOF
[source.crates-io]
replace-with = "rust-library-vendor"
[source.rust-library-vendor]
directory = "$vendor"
EOF
cat > "$W/driver/Cargo.toml" <<'EOF'
[package]
name = "{DRIVER_CRATE}"
version = "0.0.0"
edition = "2021"
EOF
echo 'pub fn touch() {{}}' > "$W/driver/src/lib.rs"
# Rust's bootstrap compiles panic_abort with panic=abort whatever the profile says; cargo's
# build-std does not, and crates built with -Cpanic=abort would then refuse the sysroot.
# std also keeps its LLVM bitcode, as rustup's does: a package whose profile asks for LTO
# (`lto = "fat"`, jiter's) otherwise fails with "Can't find section .llvmbc".
cat > "$W/std-rustc-wrapper" <<'EOF'
#!/bin/sh
rustc=$1; shift
case " $* " in
  *" --crate-name panic_abort "*) exec "$rustc" "$@" -Cpanic=abort -Cembed-bitcode=yes ;;
esac
exec "$rustc" "$@" -Cembed-bitcode=yes
EOF
chmod +x "$W/std-rustc-wrapper"
export CARGO_HOME="$W/cargo-home" CARGO_TARGET_DIR="$W/target"
export RUSTC_BOOTSTRAP=1 RUSTC_WRAPPER="$W/std-rustc-wrapper"
export RUSTFLAGS={flags}
rustc --version
cargo build --offline --release -j "$KILN_JOBS" --target "$target" \
  --manifest-path "$W/driver/Cargo.toml" -Zbuild-std=std,panic_unwind
lib="$PREFIX/lib/rustlib/$target/lib"
mkdir -p "$lib"
for rlib in "$W/target/$target/release/deps"/lib*.rlib; do
  case ${{rlib##*/}} in lib{DRIVER_CRATE}-*) continue ;; esac
  cp "$rlib" "$lib/"
done
# Build scripts and proc macros are host code: they keep using the root's own std.
ln -s /usr/lib/rustlib/x86_64-unknown-linux-gnu "$PREFIX/lib/rustlib/x86_64-unknown-linux-gnu"
ln -s /usr/lib/rustlib/src "$PREFIX/lib/rustlib/src"
ls "$lib" | sed 's/-[0-9a-f]*\.rlib$//' | sort | tr '\n' ' '; echo
"#,
        flags = shell_quote(&flags),
    )
}

/// The scripts cargo uses as the build machine's compiler and linker (build scripts, proc
/// macros, cc-rs host compiles): the root's gcc with kiln's wrapper folder taken off PATH, so
/// that gcc's collect2 finds the real `ld`, not the wrapper's.
pub fn write_host_tools(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::create_dir_all(dir)?;
    for (name, compiler) in [
        ("host-cc", "x86_64-linux-gnu-gcc"),
        ("host-c++", "x86_64-linux-gnu-g++"),
    ] {
        let path = dir.join(name);
        fs_err::write(
            &path,
            format!(
                "#!/bin/sh\n# Written by kiln: the build machine's {compiler}, never kiln's wrapper.\n\
                 PATH=$(printf %s \"$PATH\" | tr : '\\n' | grep -vxF \"$KILN_WRAPPER_DIR\" | paste -sd:)\n\
                 exec /usr/bin/{compiler} \"$@\"\n"
            ),
        )?;
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// Where a Rust package build keeps its files.
pub struct RustBuild<'a> {
    pub rust: &'a RustAbi,
    /// The prebuilt std ([`std_script`]).
    pub sysroot: PathBuf,
    /// kiln's shared crate cache.
    pub cargo_home: PathBuf,
    pub manifest: PathBuf,
    pub work: PathBuf,
    pub source_dir: PathBuf,
    pub jobs: usize,
    /// `3.13`: the target interpreter PyO3 builds for.
    pub python_version: String,
}

impl RustBuild<'_> {
    /// The saved `cargo metadata` of the package's workspace.
    pub fn metadata_path(&self) -> PathBuf {
        self.work.join("cargo-metadata.json")
    }

    fn host_tools(&self) -> PathBuf {
        self.work.join("host-tools")
    }

    /// Script lines that put every crate of the lockfile into kiln's `CARGO_HOME` (run before
    /// the cross environment exists: cargo resolves for the build machine's network here).
    pub fn fetch_lines(&self) -> String {
        let manifest = shell_quote(&self.manifest.display().to_string());
        let cargo_home = shell_quote(&self.cargo_home.display().to_string());
        let metadata = shell_quote(&self.metadata_path().display().to_string());
        format!(
            "# the crates of Cargo.lock, into kiln's crate cache (offline when all are there)\n\
             export CARGO_HOME={cargo_home} CARGO_HTTP_CAINFO=\"$SSL_CERT_FILE\"\n\
             cargo fetch --locked --offline --manifest-path {manifest} 2>/dev/null \\\n  \
             || cargo fetch --locked --manifest-path {manifest}\n\
             cargo metadata --locked --offline --format-version 1 --manifest-path {manifest} > {metadata}\n"
        )
    }

    /// The environment of the PEP 517 build, on top of the cross environment.
    pub fn env(&self) -> std::io::Result<Vec<(String, String)>> {
        write_host_tools(&self.host_tools())?;
        let path = |path: &Path| path.display().to_string();
        let mut flags = vec![format!("--sysroot={}", path(&self.sysroot))];
        flags.extend(self.rust.rustflags.iter().cloned());
        // rustc 1.96 asks for its self-contained linker helpers (`gcc-ld`) for this target,
        // and Debian ships them in rust-web-llvm, a recommendation the root does not install;
        // emcc is the linker and needs none of them.
        flags.push("-Clink-self-contained=no".into());
        if self.rust.panic == PanicStrategy::Abort {
            flags.push("-Cpanic=abort".into());
        }
        // Panic messages embed source paths: make them the same in every build folder.
        flags.push(format!(
            "--remap-path-prefix={}=/cargo",
            path(&self.cargo_home.join("registry/src"))
        ));
        flags.push(format!(
            "--remap-path-prefix={}=/src",
            path(&self.source_dir)
        ));
        let host_cc = path(&self.host_tools().join("host-cc"));
        let host_cxx = path(&self.host_tools().join("host-c++"));
        Ok(vec![
            ("CARGO_HOME".into(), path(&self.cargo_home)),
            ("CARGO_NET_OFFLINE".into(), "true".into()),
            ("CARGO_BUILD_TARGET".into(), self.rust.target.clone()),
            ("CARGO_BUILD_JOBS".into(), self.jobs.to_string()),
            (
                "CARGO_TARGET_DIR".into(),
                path(&self.work.join("cargo-target")),
            ),
            ("RUSTFLAGS".into(), flags.join(" ")),
            (
                "PYO3_CROSS_PYTHON_VERSION".into(),
                self.python_version.clone(),
            ),
            (
                "PYO3_CROSS_LIB_DIR".into(),
                path(&self.work.join("cross/sysconfig")),
            ),
            (
                "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER".into(),
                host_cc.clone(),
            ),
            ("HOST_CC".into(), host_cc),
            ("HOST_CXX".into(), host_cxx),
            ("HOST_AR".into(), "/usr/bin/ar".into()),
        ])
    }
}

/// The crates a build used, from the saved `cargo metadata` (`name version (source)`), for the
/// build log.
pub fn crates_used(metadata_json: &[u8]) -> Result<Vec<String>, serde_json::Error> {
    let metadata: cargo_metadata::Metadata = serde_json::from_slice(metadata_json)?;
    let mut crates: Vec<String> = metadata
        .packages
        .iter()
        .map(|package| match &package.source {
            // Registry crates are pinned by Cargo.lock's checksums; git and path ones say where.
            Some(source)
                if source.repr.starts_with("registry+") || source.repr.starts_with("sparse+") =>
            {
                format!("{} {}", package.name, package.version)
            }
            Some(source) => format!("{} {} ({source})", package.name, package.version),
            None => format!("{} {} (local)", package.name, package.version),
        })
        .collect();
    crates.sort();
    Ok(crates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_manifest_maturin_names() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("rust")).unwrap();
        fs_err::write(
            dir.path().join("pyproject.toml"),
            "[build-system]\nbuild-backend = \"maturin\"\n[tool.maturin]\nmanifest-path = \"rust/Cargo.toml\"\n",
        )
        .unwrap();
        assert_eq!(find_manifest(dir.path()), None, "named but missing");
        fs_err::write(dir.path().join("rust/Cargo.toml"), "[package]\n").unwrap();
        fs_err::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        assert_eq!(
            find_manifest(dir.path()),
            Some(dir.path().join("rust/Cargo.toml"))
        );
    }

    #[test]
    fn finds_setuptools_rust_modules_and_plain_manifests() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_manifest(dir.path()), None, "not a Rust package");
        fs_err::create_dir_all(dir.path().join("ext")).unwrap();
        fs_err::write(dir.path().join("ext/Cargo.toml"), "[package]\n").unwrap();
        fs_err::write(
            dir.path().join("pyproject.toml"),
            "[[tool.setuptools-rust.ext-modules]]\ntarget = \"pkg._ext\"\npath = \"ext/Cargo.toml\"\n",
        )
        .unwrap();
        assert_eq!(
            find_manifest(dir.path()),
            Some(dir.path().join("ext/Cargo.toml"))
        );
    }

    #[test]
    fn the_lockfile_may_be_a_workspace_above_but_not_outside_the_source() {
        let outer = tempfile::tempdir().unwrap();
        let source = outer.path().join("src");
        fs_err::create_dir_all(source.join("crates/ext")).unwrap();
        let manifest = source.join("crates/ext/Cargo.toml");
        fs_err::write(&manifest, "[package]\n").unwrap();
        fs_err::write(outer.path().join("Cargo.lock"), "").unwrap();
        assert_eq!(find_lockfile(&manifest, &source), None);
        fs_err::write(source.join("Cargo.lock"), "").unwrap();
        assert_eq!(
            find_lockfile(&manifest, &source),
            Some(source.join("Cargo.lock"))
        );
    }

    #[test]
    fn std_key_follows_the_toolchain_and_the_abi() {
        let abi = Abi::load(&crate::toolchain::platform::project_platform()).unwrap();
        let one = std_key(&Sha256::of_bytes(b"a"), &abi);
        assert_eq!(one, std_key(&Sha256::of_bytes(b"a"), &abi));
        assert_ne!(one, std_key(&Sha256::of_bytes(b"b"), &abi));
        let mut changed = abi.clone();
        changed.text.push('\n');
        assert_ne!(one, std_key(&Sha256::of_bytes(b"a"), &changed));
    }

    #[test]
    fn package_flags_use_the_sysroot_and_remap_paths() {
        let abi = Abi::load(&crate::toolchain::platform::project_platform()).unwrap();
        let work = tempfile::tempdir().unwrap();
        let build = RustBuild {
            rust: abi.rust.as_ref().unwrap(),
            sysroot: "/cache/rust-std/k/prefix".into(),
            cargo_home: "/cache/cargo-v0".into(),
            manifest: "/w/src/Cargo.toml".into(),
            work: work.path().to_path_buf(),
            source_dir: "/w/src".into(),
            jobs: 2,
            python_version: "3.13".into(),
        };
        let env = build.env().unwrap();
        let get = |key: &str| {
            env.iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
                .unwrap()
        };
        let flags = get("RUSTFLAGS");
        let platform_flags = abi.rust.as_ref().unwrap().rustflags.join(" ");
        assert!(
            flags.starts_with(&format!(
                "--sysroot=/cache/rust-std/k/prefix {platform_flags}"
            )),
            "{flags}"
        );
        assert!(flags.contains("--remap-path-prefix=/cache/cargo-v0/registry/src=/cargo"));
        assert!(flags.contains("--remap-path-prefix=/w/src=/src"));
        assert!(!flags.contains("panic=abort"));
        assert_eq!(get("CARGO_NET_OFFLINE"), "true");
        assert_eq!(get("CARGO_BUILD_TARGET"), "wasm32-unknown-emscripten");
        let host_cc = get("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
        let script = fs_err::read_to_string(&host_cc).unwrap();
        assert!(
            script.contains("exec /usr/bin/x86_64-linux-gnu-gcc"),
            "{script}"
        );
    }

    #[test]
    fn crates_are_listed_from_cargo_metadata() {
        let json = r#"{"packages":[
            {"name":"pyo3","version":"0.29.3","id":"registry+file:///index#pyo3@0.29.3","source":"registry+file:///index","dependencies":[],"targets":[],"features":{},"manifest_path":"/c/pyo3/Cargo.toml","license":null,"license_file":null,"description":null,"edition":"2021","metadata":null,"authors":[],"categories":[],"keywords":[],"readme":null,"repository":null,"homepage":null,"documentation":null,"links":null,"publish":null,"default_run":null,"rust_version":null},
            {"name":"demo","version":"0.1.0","id":"path+file:///w/src#demo@0.1.0","source":null,"dependencies":[],"targets":[],"features":{},"manifest_path":"/w/src/Cargo.toml","license":null,"license_file":null,"description":null,"edition":"2021","metadata":null,"authors":[],"categories":[],"keywords":[],"readme":null,"repository":null,"homepage":null,"documentation":null,"links":null,"publish":null,"default_run":null,"rust_version":null}],
            "workspace_members":[],"workspace_default_members":[],"resolve":null,"target_directory":"/t","version":1,"workspace_root":"/w/src","metadata":null}"#;
        assert_eq!(
            crates_used(json.as_bytes()).unwrap(),
            ["demo 0.1.0 (local)", "pyo3 0.29.3"]
        );
    }
}
