//! The toolchain: where every build command runs.
//!
//! kiln builds inside a Debian root made by `debootstrap` from the pin in
//! the platform file's `[root]` table (see [`pin`] and [`platform`]), the way Pyodide's builds run in a Docker image,
//! but without needing a container engine. [`root`] installs it and records the installed
//! package versions in a lock whose hash is the [`Toolchain::id`]: later stages put that id
//! into every cache key, so nothing built with one toolchain is reused with another.
//!
//! Commands run in the root through [`Toolchain::command`]: a private mount namespace
//! (`unshare`) in which the project and the cache are bind-mounted at their own paths, so a
//! path means the same inside and outside. No mount is ever visible outside that namespace,
//! and the namespace dies with its last process.

pub mod abi;
pub mod mirror;
pub mod pin;
pub mod platform;
pub mod root;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::{Settings, ToolchainMode};
use crate::hash::Sha256;
pub use abi::{Abi, AbiError, PanicStrategy, RustAbi};
pub use pin::{Pin, PinError};
pub use platform::{Platform, PlatformError, PlatformInfo, PythonVersion};
pub use root::{ToolchainError, install, locate, prune, stale_roots};

/// Where the host's CA bundle is copied inside the root, so tools there trust what the host
/// trusts (on networks behind a TLS proxy nothing else works).
pub const ROOT_CA_BUNDLE: &str = "/etc/ssl/certs/kiln-host-ca.crt";

const ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A ready toolchain: an installed root (or the system's tools) and its identity.
#[derive(Debug, Clone)]
pub struct Toolchain {
    pub mode: ToolchainMode,
    /// The root folder; `None` for [`ToolchainMode::System`].
    pub root: Option<PathBuf>,
    /// Hash of the toolchain lock: goes into every cache key.
    pub id: Sha256,
    /// Installed package → version, as recorded at install time.
    pub packages: BTreeMap<String, String>,
    /// Host folders mounted at the same path inside the root.
    binds: Vec<PathBuf>,
    /// Variables every command gets (on top of a clean environment in the root).
    base_env: Vec<(String, String)>,
}

/// One way the installed toolchain differs from the pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Missing {
        package: String,
    },
    Version {
        package: String,
        expected: String,
        actual: String,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Missing { package } => write!(f, "`{package}` is not installed"),
            Mismatch::Version {
                package,
                expected,
                actual,
            } => {
                write!(f, "`{package}` is {actual}, expected {expected}*")
            }
        }
    }
}

impl Toolchain {
    /// The folders later stages may use from inside the root, besides the project.
    pub fn shared_cache_dirs(settings: &Settings) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = ["sources-v0", "builds-v0", "tmp-v0", "cargo-v0"]
            .iter()
            .map(|bucket| settings.cache_dir.join(bucket))
            .collect();
        dirs.push(settings.emcache_dir());
        dirs
    }

    pub(crate) fn new(
        settings: &Settings,
        mode: ToolchainMode,
        root: Option<PathBuf>,
        packages: BTreeMap<String, String>,
        id: Sha256,
    ) -> Self {
        let mut binds = vec![settings.project_dir.clone()];
        binds.extend(Self::shared_cache_dirs(settings));
        let mut base_env = vec![
            ("PATH".to_string(), ROOT_PATH.to_string()),
            ("HOME".to_string(), "/root".to_string()),
            ("LANG".to_string(), "C.UTF-8".to_string()),
            (
                "SOURCE_DATE_EPOCH".to_string(),
                settings.source_date_epoch.to_string(),
            ),
            ("SSL_CERT_FILE".to_string(), ROOT_CA_BUNDLE.to_string()),
            ("PIP_DISABLE_PIP_VERSION_CHECK".to_string(), "1".to_string()),
        ];
        // emcc builds its system libraries (libc, libc++ in the variants the flags ask for) on
        // first use into its cache. Kept outside the root, per toolchain, so the root stays as
        // debootstrap made it and a new toolchain never sees another's libraries.
        let em_cache = settings.emcache_dir().join(id.short(16));
        let _ = fs_err::create_dir_all(&em_cache);
        base_env.push(("EM_CACHE".to_string(), em_cache.display().to_string()));
        if let Some(index) = &settings.index_url {
            base_env.push(("PIP_INDEX_URL".to_string(), index.clone()));
        }
        base_env.extend(settings.proxy_env.iter().cloned());
        Self {
            mode,
            root,
            id,
            packages,
            binds,
            base_env,
        }
    }

    /// Checks the installed versions against the pin's `[expect]` table and package list.
    pub fn mismatches(&self, pin: &Pin) -> Vec<Mismatch> {
        let mut problems = Vec::new();
        if self.mode == ToolchainMode::System {
            return problems;
        }
        for package in &pin.root.packages {
            if !self.packages.contains_key(package) {
                problems.push(Mismatch::Missing {
                    package: package.clone(),
                });
            }
        }
        for (package, expected) in &pin.expect {
            match self.packages.get(package) {
                None if !pin.root.packages.contains(package) => problems.push(Mismatch::Missing {
                    package: package.clone(),
                }),
                None => {}
                Some(actual) if !actual.starts_with(expected.as_str()) => {
                    problems.push(Mismatch::Version {
                        package: package.clone(),
                        expected: expected.clone(),
                        actual: actual.clone(),
                    })
                }
                Some(_) => {}
            }
        }
        problems
    }

    /// A command that runs `argv` in `workdir` inside the toolchain, with a clean environment
    /// made of the base variables and `env`.
    ///
    /// In the root this is `unshare --mount --propagation private --kill-child sh -c SETUP`,
    /// where SETUP mounts `/dev`, `/proc`, the host's resolver file and the shared folders,
    /// then `chroot`s. `--kill-child` and the parent-death signal set here chain kiln's death
    /// to the command's: even a SIGKILLed kiln leaves no process and no mount behind.
    pub fn command(&self, argv: &[OsString], workdir: &Path, env: &[(String, String)]) -> Command {
        let mut variables: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, value) in self.base_env.iter().chain(env) {
            variables.insert(key, value);
        }
        let Some(root) = &self.root else {
            let (program, args) = argv.split_first().expect("a command has a program");
            let mut command = Command::new(program);
            command.args(args).current_dir(workdir).envs(
                variables
                    .iter()
                    .filter(|(k, _)| **k != "PATH" && **k != "HOME"),
            );
            die_with_parent(&mut command);
            return command;
        };
        let mut command = Command::new("unshare");
        command
            .args([
                "--mount",
                "--propagation",
                "private",
                "--kill-child",
                "--",
                "/bin/sh",
                "-c",
            ])
            .arg(SETUP_SCRIPT)
            .arg("kiln-root")
            .arg(root)
            .arg(workdir);
        for bind in &self.binds {
            command.arg(bind);
        }
        command.arg("--").arg("/usr/bin/env").arg("-i");
        for (key, value) in &variables {
            command.arg(format!("{key}={value}"));
        }
        command.args(argv);
        command
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        die_with_parent(&mut command);
        command
    }
}

/// Runs before `chroot`, as root, inside the new mount namespace. Arguments: ROOT WORKDIR
/// BIND… -- COMMAND…  Binds that do not exist on the host are skipped.
const SETUP_SCRIPT: &str = r#"set -e
root=$1; workdir=$2; shift 2
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
if [ -e /etc/resolv.conf ]; then
  touch "$root/etc/resolv.conf" 2>/dev/null || true
  mount --bind /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
fi
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mkdir -p "$root$1"; mount --rbind "$1" "$root$1"; fi
  shift
done
shift
mkdir -p "$root$workdir"
cd "$root$workdir"
exec chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" "$@"
"#;

/// Asks the kernel to SIGKILL the child when the thread that spawned it dies.
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
