//! Installing and finding the toolchain root.
//!
//! Layout under the cache folder:
//! ```text
//! toolchains-v0/
//!   .install.lock                 file lock: one install at a time
//!   .tmp-<name>-<pid>/            an install under way (removed when found stale)
//!   <suite>-<pin hash>/           complete roots only: renamed into place when done
//!     root/                       the Debian root
//!     toolchain.lock              installed packages and versions; its hash is the id
//!   logs/<name>.log               debootstrap and apt output
//! ```
//! A root is used only when its `toolchain.lock` exists, and that file is written inside the
//! temporary folder before the rename: an interrupted install never leaves a root kiln uses.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Pin, ROOT_CA_BUNDLE, Toolchain, mirror};
use crate::config::{Settings, ToolchainMode};
use crate::hash::Sha256;
use crate::run::{self, RunError};

const LOCK_FILE: &str = "toolchain.lock";

#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error("the toolchain root `{}` is in use (something is mounted inside it); not removed", path.display())]
    InUse { path: PathBuf },
    #[error("the toolchain root is not installed (expected at `{}`)", path.display())]
    NotInstalled { path: PathBuf },
    #[error("installing a toolchain root needs root privileges (debootstrap, chroot, mounts)")]
    NotRoot,
    #[error(
        "installing a toolchain root needs a Debian-like host with `apt-get` and `/etc/debian_version`"
    )]
    NotDebian,
    #[error("no Debian mirror found in the host's apt sources (`/etc/apt/sources.list*`)")]
    NoMirror,
    #[error("no `emcc` on PATH for `--toolchain system`")]
    NoSystemEmcc,
    #[error("the system emcc is {actual}, but the pin expects {expected}")]
    SystemEmccVersion { expected: String, actual: String },
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the toolchain root (Debian `{suite}`) does not have the versions `{}` pins:\n{}",
        pin.display(),
        mismatches.iter().map(|m| format!("  {m}")).collect::<Vec<_>>().join("\n")
    )]
    Drift {
        suite: String,
        pin: PathBuf,
        mismatches: Vec<super::Mismatch>,
    },
    #[error(transparent)]
    Run(#[from] RunError),
}

impl ToolchainError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ToolchainError::NotInstalled { .. } => Some("Run `kiln toolchain install`".into()),
            ToolchainError::NotRoot => Some("Run it as root (for example with `sudo`), or use `--toolchain system` with emcc 3.1.69 on PATH".into()),
            ToolchainError::NotDebian => Some("Use `--toolchain system` with the pinned emcc on PATH".into()),
            ToolchainError::NoMirror => Some("Set `KILN_DEBIAN_MIRROR` to a Debian mirror URI".into()),
            ToolchainError::Drift { .. } => Some("Update `[expect]` (and what the new versions need) in the platform file, as `docs/platform.md` describes, or point `KILN_DEBIAN_MIRROR` at a snapshot of the suite that has the pinned versions".into()),
            _ => None,
        }
    }
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ToolchainError + '_ {
    move |source| ToolchainError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The folder a root made from `pin` lives in.
pub fn root_home(settings: &Settings, pin: &Pin) -> PathBuf {
    settings.toolchains_dir().join(pin.root_name())
}

/// The toolchain to build with: the installed root for `pin`, or the system's emcc.
pub fn locate(settings: &Settings, pin: &Pin) -> Result<Toolchain, ToolchainError> {
    match settings.toolchain_mode {
        ToolchainMode::Root => {
            let home = root_home(settings, pin);
            let lock_path = home.join(LOCK_FILE);
            let text = match fs_err::read_to_string(&lock_path) {
                Ok(text) => text,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return Err(ToolchainError::NotInstalled {
                        path: home.join("root"),
                    });
                }
                Err(source) => {
                    return Err(ToolchainError::Read {
                        path: lock_path,
                        source,
                    });
                }
            };
            Ok(Toolchain::new(
                settings,
                ToolchainMode::Root,
                Some(home.join("root")),
                parse_lock(&text),
                Sha256::of_bytes(text.as_bytes()),
            ))
        }
        ToolchainMode::System => locate_system(settings, pin),
    }
}

/// `--toolchain system`: the emcc on PATH, accepted when its version is the pinned one.
fn locate_system(settings: &Settings, pin: &Pin) -> Result<Toolchain, ToolchainError> {
    let emcc = which::which("emcc").map_err(|_| ToolchainError::NoSystemEmcc)?;
    let output = Command::new(&emcc)
        .arg("--version")
        .output()
        .map_err(|source| ToolchainError::Read {
            path: emcc.clone(),
            source,
        })?;
    let first_line = String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let actual = first_line
        .split_whitespace()
        .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .unwrap_or("unknown")
        .to_string();
    let expected = pin.expect.get("emscripten").cloned().unwrap_or_default();
    if !actual.starts_with(&expected) {
        return Err(ToolchainError::SystemEmccVersion { expected, actual });
    }
    let packages = BTreeMap::from([("emscripten".to_string(), actual)]);
    let id = Sha256::of_bytes(format!("system\n{}", render_lock("system", &packages)).as_bytes());
    Ok(Toolchain::new(
        settings,
        ToolchainMode::System,
        None,
        packages,
        id,
    ))
}

/// Installs the root for `pin` unless it is already there; returns it either way.
/// `status` receives one line per step, for the user.
pub fn install(
    settings: &Settings,
    pin: &Pin,
    status: &dyn Fn(&str),
) -> Result<Toolchain, ToolchainError> {
    if let Ok(toolchain) = locate(settings, pin) {
        return checked(toolchain, pin);
    }
    check_host()?;
    let toolchains = settings.toolchains_dir();
    fs_err::create_dir_all(&toolchains).map_err(write_error(&toolchains))?;
    let lock_path = toolchains.join(".install.lock");
    let lock_file = fs_err::File::create(&lock_path).map_err(write_error(&lock_path))?;
    if lock_file.file().try_lock().is_err() {
        status("waiting for another kiln process that is installing the root");
        lock_file.file().lock().map_err(write_error(&lock_path))?;
    }
    // Another process may have finished the same install while we waited.
    if let Ok(toolchain) = locate(settings, pin) {
        return checked(toolchain, pin);
    }
    remove_stale_installs(&toolchains)?;

    let name = pin.root_name();
    let log = toolchains.join("logs").join(format!("{name}.log"));
    let _ = fs_err::remove_file(&log);
    ensure_host_tool("debootstrap", "debootstrap", &log, status)?;
    let mirror = match &settings.debian_mirror {
        Some(mirror) => mirror.clone(),
        None => {
            mirror::host_debian_mirror(Path::new("/etc/apt")).ok_or(ToolchainError::NoMirror)?
        }
    };

    let temporary = toolchains.join(format!(".tmp-{name}-{}", std::process::id()));
    let root = temporary.join("root");
    fs_err::create_dir_all(&temporary).map_err(write_error(&temporary))?;
    status(&format!(
        "debootstrap {} ({} packages) into `{}`; log: `{}`",
        pin.root.suite,
        pin.root.packages.len(),
        root.display(),
        log.display()
    ));
    // The .deb files stay in the cache: a root made again on this machine (after `toolchain
    // prune`, or by another checkout) installs the very same files as long as the suite
    // still lists their versions, and [expect] refuses it otherwise.
    let debs = settings.cache_dir.join("debs-v0").join(&pin.root.suite);
    fs_err::create_dir_all(&debs).map_err(write_error(&debs))?;
    let mut debootstrap = Command::new("debootstrap");
    debootstrap
        .arg(format!("--variant={}", pin.root.variant))
        .arg(format!("--include={}", pin.root.packages.join(",")))
        .arg(format!("--cache-dir={}", debs.display()))
        .arg(&pin.root.suite)
        .arg(&root)
        .arg(&mirror);
    if let Some(script) = &pin.root.debootstrap_script {
        debootstrap.arg(Path::new("/usr/share/debootstrap/scripts").join(script));
    }
    run::run_logged(debootstrap.env("DEBIAN_FRONTEND", "noninteractive"), &log)?;

    status("configuring the root (CA bundle, source packages)");
    configure_root(settings, &root, &mirror, &pin.root.suite)?;
    let provisional = Toolchain::new(
        settings,
        ToolchainMode::Root,
        Some(root.clone()),
        BTreeMap::new(),
        Sha256::of_bytes(b""),
    );
    run_in(&provisional, &["apt-get", "update"], &log)?;

    let versions = installed_versions(&provisional, &log)?;
    let installed = Toolchain::new(
        settings,
        ToolchainMode::Root,
        Some(root.clone()),
        versions.clone(),
        Sha256::of_bytes(b""),
    );
    let drift = installed.mismatches(pin);
    if !drift.is_empty() {
        // Not renamed into place: the next install starts over (and finds the same drift
        // until the pin is updated).
        let _ = fs_err::remove_dir_all(&temporary);
        return Err(ToolchainError::Drift {
            suite: pin.root.suite.clone(),
            pin: pin.path.clone(),
            mismatches: drift,
        });
    }
    let lock_text = render_lock(&pin.root.suite, &versions);
    let lock_file_path = temporary.join(LOCK_FILE);
    crate::fs::write_atomic(&lock_file_path, lock_text.as_bytes())
        .map_err(write_error(&lock_file_path))?;

    let home = root_home(settings, pin);
    crate::fs::rename_dir_into_place(&temporary, &home).map_err(write_error(&home))?;
    locate(settings, pin)
}

/// The root, unless its recorded versions no longer start with what `[expect]` says (the pin
/// was edited since the root was made): builds refuse it rather than build with tools the
/// platform file does not describe.
fn checked(toolchain: Toolchain, pin: &Pin) -> Result<Toolchain, ToolchainError> {
    let drift = toolchain.mismatches(pin);
    if drift.is_empty() {
        Ok(toolchain)
    } else {
        Err(ToolchainError::Drift {
            suite: pin.root.suite.clone(),
            pin: pin.path.clone(),
            mismatches: drift,
        })
    }
}

fn check_host() -> Result<(), ToolchainError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(ToolchainError::NotRoot);
    }
    if !Path::new("/etc/debian_version").exists() || which::which("apt-get").is_err() {
        return Err(ToolchainError::NotDebian);
    }
    Ok(())
}

/// Installs a host package with apt when `program` is missing.
fn ensure_host_tool(
    program: &str,
    package: &str,
    log: &Path,
    status: &dyn Fn(&str),
) -> Result<(), ToolchainError> {
    if which::which(program).is_ok() {
        return Ok(());
    }
    status(&format!("installing `{package}` on the host with apt-get"));
    let apt = |args: &[&str]| {
        run::run_logged(
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            log,
        )
    };
    if apt(&["install", "-y", "--no-install-recommends", package]).is_err() {
        apt(&["update"])?;
        apt(&["install", "-y", "--no-install-recommends", package])?;
    }
    Ok(())
}

/// Interrupted installs leave `.tmp-*` folders; with the install lock held none is live.
fn remove_stale_installs(toolchains: &Path) -> Result<(), ToolchainError> {
    let entries = fs_err::read_dir(toolchains).map_err(|source| ToolchainError::Read {
        path: toolchains.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(".tmp-") {
            let path = entry.path();
            tracing::debug!(path = %path.display(), "removing an interrupted install");
            fs_err::remove_dir_all(&path).map_err(write_error(&path))?;
        }
    }
    Ok(())
}

/// Roots other than `pin`'s: each a folder of `toolchains-v0` with a `toolchain.lock`, left
/// behind when the pin changed (3 GB or more each).
pub fn stale_roots(settings: &Settings, pin: &Pin) -> Vec<PathBuf> {
    let current = pin.root_name();
    let Ok(entries) = fs_err::read_dir(settings.toolchains_dir()) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy() != current.as_str())
        .map(|entry| entry.path())
        .filter(|path| path.join(LOCK_FILE).is_file())
        .collect();
    stale.sort();
    stale
}

/// Removes [`stale_roots`] (and their install logs) under the install lock. A root with
/// anything mounted inside it (a build of another checkout running in it right now) is kept
/// and reported in the error.
pub fn prune(settings: &Settings, pin: &Pin) -> Result<Vec<PathBuf>, ToolchainError> {
    let toolchains = settings.toolchains_dir();
    if !toolchains.is_dir() {
        return Ok(Vec::new());
    }
    let lock_path = toolchains.join(".install.lock");
    let lock_file = fs_err::File::create(&lock_path).map_err(write_error(&lock_path))?;
    lock_file.file().lock().map_err(write_error(&lock_path))?;
    remove_stale_installs(&toolchains)?;
    let mounts = fs_err::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut removed = Vec::new();
    for root in stale_roots(settings, pin) {
        if has_mounts_below(&mounts, &root) {
            return Err(ToolchainError::InUse { path: root });
        }
        // The lock file goes first: a half-removed folder is never taken for a root.
        let lock = root.join(LOCK_FILE);
        fs_err::remove_file(&lock).map_err(write_error(&lock))?;
        fs_err::remove_dir_all(&root).map_err(write_error(&root))?;
        if let Some(name) = root.file_name() {
            let log = toolchains
                .join("logs")
                .join(format!("{}.log", name.to_string_lossy()));
            let _ = fs_err::remove_file(log);
        }
        removed.push(root);
    }
    Ok(removed)
}

/// True when a mount point listed in `mountinfo` (field 5) lies inside `dir`.
fn has_mounts_below(mountinfo: &str, dir: &Path) -> bool {
    mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .any(|mount_point| Path::new(mount_point).starts_with(dir))
}

/// Trust the host's CAs and give apt a `deb-src` line for the root's own suite.
fn configure_root(
    settings: &Settings,
    root: &Path,
    mirror: &str,
    suite: &str,
) -> Result<(), ToolchainError> {
    if let Some(bundle) = &settings.ca_bundle {
        let target = root.join(ROOT_CA_BUNDLE.trim_start_matches('/'));
        fs_err::copy(bundle, &target).map_err(write_error(&target))?;
    }
    // A testing suite's Release file can look expired against the clock between two
    // publications of the mirror; the versions are checked against [expect] instead.
    let apt_conf = root.join("etc/apt/apt.conf.d/90kiln");
    crate::fs::write_atomic(
        &apt_conf,
        b"// Written by kiln: versions are pinned by the platform file, not by Release dates\nAcquire::Check-Valid-Until \"false\";\n",
    )
    .map_err(write_error(&apt_conf))?;
    let sources = root.join("etc/apt/sources.list.d/kiln-sources.list");
    let text =
        format!("# Written by kiln: sources for `apt-get source`\ndeb-src {mirror} {suite} main\n");
    crate::fs::write_atomic(&sources, text.as_bytes()).map_err(write_error(&sources))?;
    Ok(())
}

fn run_in(toolchain: &Toolchain, argv: &[&str], log: &Path) -> Result<(), ToolchainError> {
    let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
    let env = [("DEBIAN_FRONTEND".to_string(), "noninteractive".to_string())];
    run::run_logged(&mut toolchain.command(&argv, Path::new("/"), &env), log)?;
    Ok(())
}

/// Exact versions of every package in the root, from its dpkg database.
fn installed_versions(
    toolchain: &Toolchain,
    log: &Path,
) -> Result<BTreeMap<String, String>, ToolchainError> {
    let argv = ["dpkg-query", "-W", "-f", "${Package}\t${Version}\n"].map(OsString::from);
    let output = toolchain
        .command(&argv, Path::new("/"), &[])
        .output()
        .map_err(|source| ToolchainError::Read {
            path: log.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).into_owned();
        return Err(ToolchainError::Read {
            path: log.to_path_buf(),
            source: std::io::Error::other(message),
        });
    }
    Ok(parse_lock(&String::from_utf8_lossy(&output.stdout)))
}

/// The lock file: a comment, the suite, then `package<TAB>version` lines, sorted.
fn render_lock(suite: &str, packages: &BTreeMap<String, String>) -> String {
    let mut text =
        format!("# kiln toolchain lock: packages installed in the root\nsuite\t{suite}\n");
    for (package, version) in packages {
        text.push_str(&format!("{package}\t{version}\n"));
    }
    text
}

fn parse_lock(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .filter(|(package, _)| *package != "suite")
        .map(|(package, version)| (package.to_string(), version.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_inside_a_root_are_seen() {
        let mountinfo = "22 1 8:1 / / rw - ext4 /dev/vda rw\n\
                         90 22 0:5 / /c/toolchains-v0/old/root/proc rw - proc proc rw\n";
        assert!(has_mounts_below(
            mountinfo,
            Path::new("/c/toolchains-v0/old")
        ));
        assert!(!has_mounts_below(
            mountinfo,
            Path::new("/c/toolchains-v0/new")
        ));
        assert!(!has_mounts_below(
            mountinfo,
            Path::new("/c/toolchains-v0/ol")
        ));
    }

    #[test]
    fn lock_round_trips() {
        let packages = BTreeMap::from([
            ("emscripten".to_string(), "3.1.69+dfsg-3".to_string()),
            ("nodejs".to_string(), "20.19.2".to_string()),
        ]);
        let text = render_lock("trixie", &packages);
        assert_eq!(parse_lock(&text), packages);
        assert!(text.starts_with("# kiln"));
    }
}
