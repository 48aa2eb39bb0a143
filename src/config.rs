//! Settings, resolved once from command-line arguments and the environment.
//!
//! This is the only module that reads `std::env`; deeper modules take a [`Settings`]. Every
//! variable kiln reads is listed in [`ENV_VARS`] (and in `docs/cli.md`).

use std::path::{Path, PathBuf};

/// Environment variables kiln reads, with what each one does.
pub const ENV_VARS: &[(&str, &str)] = &[
    (
        "KILN_PROJECT_DIR",
        "the project (with `platforms/` and `recipes/`; default: the nearest folder above the current one that has a `platforms/` folder)",
    ),
    (
        "KILN_PLATFORM",
        "the platform to build for: a name in `platforms/` (e.g. `pyemscripten_2026_5`) or a path to a platform file (default: the project's only platform file, else kiln's built-in one)",
    ),
    (
        "KILN_CACHE_DIR",
        "cache folder (default: `$XDG_CACHE_HOME/kiln`, else `~/.cache/kiln`)",
    ),
    (
        "KILN_TOOLCHAIN_DIR",
        "where toolchain roots (`toolchains-v0`, `debs-v0`) and emcc's cache (`emcache-v0`) live, so several cache folders can share one root (default: the cache folder)",
    ),
    (
        "KILN_REMOTE_CACHE",
        "remote artifact cache, `s3://BUCKET/PREFIX`, as `--remote-cache` (default: none)",
    ),
    (
        "AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN…",
        "the remote cache's endpoint, region and credentials, as every S3 client reads them (also `AWS_DEFAULT_REGION`, `AWS_ALLOW_HTTP`, `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`…); plain HTTP is allowed for a loopback endpoint",
    ),
    (
        "KILN_TOOLCHAIN",
        "`root` (the pinned Debian root, default) or `system` (emcc on PATH)",
    ),
    (
        "KILN_DEBIAN_MIRROR",
        "Debian mirror for the toolchain root (default: the host's apt sources)",
    ),
    (
        "KILN_INDEX_URL",
        "package index for `pypi` sources (default: pip's configuration)",
    ),
    (
        "PIP_INDEX_URL",
        "read like pip does when `KILN_INDEX_URL` is unset",
    ),
    (
        "KILN_CA_BUNDLE",
        "CA bundle for downloads and for the root (default: `SSL_CERT_FILE`, `PIP_CERT`, the system bundle)",
    ),
    ("SSL_CERT_FILE", "read when `KILN_CA_BUNDLE` is unset"),
    (
        "PIP_CERT",
        "read when `KILN_CA_BUNDLE` and `SSL_CERT_FILE` are unset",
    ),
    (
        "HTTP_PROXY, HTTPS_PROXY, NO_PROXY",
        "passed into the toolchain root (and their lower-case forms)",
    ),
    (
        "SOURCE_DATE_EPOCH",
        "timestamp for reproducible outputs (default: 315532800, 1980-01-01)",
    ),
];

/// Which toolchain builds run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ToolchainMode {
    /// The pinned Debian root under the cache folder (`kiln toolchain install`).
    Root,
    /// The `emcc` on PATH, accepted only when its version equals the pin.
    System,
}

/// Everything deeper modules need to know about the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The folder kiln was started in: paths given on the command line are relative to it.
    pub current_dir: PathBuf,
    /// The project: the folder holding `platforms/` and `recipes/`. It locates the recipes
    /// and the toolchain pin, never a path given on the command line.
    pub project_dir: PathBuf,
    /// The recipe folders given with `--recipe-dir`, in order (each overrides the ones
    /// before it, and all of them the project's `recipes/` and kiln's built-in recipes).
    pub recipe_dirs: Vec<PathBuf>,
    /// Where kiln's built-in recipes and platform files are unpacked
    /// ([`crate::builtin::dir`]): `recipes/` and `platforms/` in it.
    pub builtin_dir: PathBuf,
    /// The platform file (`platforms/<name>.toml`): the root's pin, the flags, the tags.
    pub platform_file: PathBuf,
    pub cache_dir: PathBuf,
    /// Where toolchain roots and emcc's cache live (`KILN_TOOLCHAIN_DIR`; default: the cache).
    pub toolchain_dir: PathBuf,
    /// The remote artifact cache URL (`--remote-cache`, `KILN_REMOTE_CACHE`).
    pub remote_cache: Option<String>,
    /// The `AWS_*` variables that are set, for the remote cache's client.
    pub aws_env: Vec<(String, String)>,
    pub toolchain_mode: ToolchainMode,
    pub debian_mirror: Option<String>,
    pub index_url: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    /// Proxy variables to pass into the toolchain root, as set on the host.
    pub proxy_env: Vec<(String, String)>,
    pub source_date_epoch: u64,
}

/// The arguments that settle settings; filled from clap by the binary.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub recipe_dirs: Vec<PathBuf>,
    pub toolchain_mode: Option<ToolchainMode>,
    pub remote_cache: Option<String>,
}

/// The `AWS_*` variables passed to the remote cache's S3 client (the names the AWS tools use).
const AWS_VARS: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ALLOW_HTTP",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_ENDPOINT_URL_STS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_SKIP_SIGNATURE",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
];

impl Settings {
    /// Resolves settings from `overrides`, the process environment and the current folder,
    /// and unpacks kiln's built-in recipes and platform files into the cache (once per kiln
    /// version: [`crate::builtin::unpack`]).
    pub fn resolve(overrides: Overrides) -> std::io::Result<Self> {
        let settings = Self::from_lookup(overrides, &std::env::current_dir()?, &|name| {
            std::env::var(name).ok().filter(|value| !value.is_empty())
        });
        let unpacked = crate::builtin::unpack(&settings.cache_dir).map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!(
                    "cannot unpack kiln's built-in recipes into `{}`: {error}",
                    settings.cache_dir.display()
                ),
            )
        })?;
        debug_assert_eq!(unpacked, settings.builtin_dir);
        Ok(settings)
    }

    /// [`Settings::resolve`] over any variable lookup, so tests need not touch the process
    /// environment.
    pub fn from_lookup(
        overrides: Overrides,
        current_dir: &Path,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let project_dir = var("KILN_PROJECT_DIR")
            .map(|dir| current_dir.join(dir))
            .unwrap_or_else(|| find_project_dir(current_dir));
        let recipe_dirs = overrides
            .recipe_dirs
            .iter()
            .map(|dir| current_dir.join(dir))
            .collect();
        let cache_dir = var("KILN_CACHE_DIR")
            .map(|dir| current_dir.join(dir))
            .or_else(|| var("XDG_CACHE_HOME").map(|dir| PathBuf::from(dir).join("kiln")))
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache/kiln")))
            .unwrap_or_else(|| project_dir.join(".kiln/cache"));
        let toolchain_dir = var("KILN_TOOLCHAIN_DIR")
            .map(|dir| current_dir.join(dir))
            .unwrap_or_else(|| cache_dir.clone());
        let aws_env = AWS_VARS
            .iter()
            .filter_map(|name| var(name).map(|value| (name.to_string(), value)))
            .collect();
        let builtin_dir = crate::builtin::dir(&cache_dir);
        // The project's platform files first; a folder without any (a package's own
        // repository) uses the ones kiln carries.
        let project_platforms = project_dir.join("platforms");
        let builtin_platforms = builtin_dir.join("platforms");
        let platform_file = match var("KILN_PLATFORM") {
            Some(name) if name.ends_with(".toml") => current_dir.join(name),
            Some(name) => {
                let file = format!("{name}.toml");
                if project_platforms.join(&file).is_file() || !crate::builtin::has_platform(&name) {
                    project_platforms.join(file)
                } else {
                    builtin_platforms.join(file)
                }
            }
            None => {
                let files = crate::toolchain::platform::platform_files(&project_platforms);
                // Several files and no choice: the first, so errors name a real file; `kiln
                // config list` shows which.
                files.into_iter().next().unwrap_or_else(|| {
                    let name = crate::builtin::FILES
                        .iter()
                        .find_map(|file| file.path.strip_prefix("platforms/"))
                        .unwrap_or("pyemscripten.toml");
                    builtin_platforms.join(name)
                })
            }
        };
        let toolchain_mode =
            overrides
                .toolchain_mode
                .unwrap_or_else(|| match var("KILN_TOOLCHAIN").as_deref() {
                    Some("system") => ToolchainMode::System,
                    _ => ToolchainMode::Root,
                });
        let ca_bundle = ["KILN_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT"]
            .iter()
            .find_map(|name| var(name))
            .map(PathBuf::from)
            .or_else(|| {
                let system = PathBuf::from("/etc/ssl/certs/ca-certificates.crt");
                system.is_file().then_some(system)
            });
        let proxy_env = [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "http_proxy",
            "https_proxy",
            "no_proxy",
        ]
        .iter()
        .filter_map(|name| var(name).map(|value| (name.to_string(), value)))
        .collect();
        Self {
            current_dir: current_dir.to_path_buf(),
            project_dir,
            recipe_dirs,
            builtin_dir,
            platform_file,
            cache_dir,
            toolchain_dir,
            remote_cache: overrides.remote_cache.or_else(|| var("KILN_REMOTE_CACHE")),
            aws_env,
            toolchain_mode,
            debian_mirror: var("KILN_DEBIAN_MIRROR"),
            index_url: var("KILN_INDEX_URL").or_else(|| var("PIP_INDEX_URL")),
            ca_bundle,
            proxy_env,
            source_date_epoch: var("SOURCE_DATE_EPOCH")
                .and_then(|text| text.parse().ok())
                .unwrap_or(315_532_800),
        }
    }

    /// A path from the command line, as every command-line tool reads it: relative to the
    /// current folder (`cd /tmp/x && kiln lock d` means `/tmp/x/d`).
    pub fn command_line_path(&self, path: &Path) -> PathBuf {
        self.current_dir.join(path)
    }

    /// A folder from the command line, or `default` inside the project when none was given
    /// (`dist` for `lock`, `verify`, `serve` and `--install-dir`).
    pub fn command_line_dir(&self, path: Option<&Path>, default: &str) -> PathBuf {
        match path {
            Some(path) => self.command_line_path(path),
            None => self.project_dir.join(default),
        }
    }

    /// The platform file, which holds the ABI.
    pub fn abi_file(&self) -> PathBuf {
        self.platform_file.clone()
    }

    /// The platform file, which holds the toolchain root's pin.
    pub fn toolchain_pin(&self) -> PathBuf {
        self.platform_file.clone()
    }

    /// Where downloaded sources are kept, by sha256.
    pub fn sources_dir(&self) -> PathBuf {
        self.cache_dir.join("sources-v0")
    }

    /// kiln's `CARGO_HOME` for Rust packages: the crates their lockfiles name, fetched once.
    pub fn cargo_home(&self) -> PathBuf {
        self.cache_dir.join("cargo-v0")
    }

    /// Where toolchain roots live.
    pub fn toolchains_dir(&self) -> PathBuf {
        self.toolchain_dir.join("toolchains-v0")
    }

    /// emcc's cache of system libraries, per toolchain (`emcache-v0/<toolchain id>`).
    pub fn emcache_dir(&self) -> PathBuf {
        self.toolchain_dir.join("emcache-v0")
    }

    /// The `.deb` files debootstrap fetched, per suite.
    pub fn debs_dir(&self) -> PathBuf {
        self.toolchain_dir.join("debs-v0")
    }

    /// The remote cache's settings, when one is configured.
    pub fn remote(&self) -> Option<crate::cache::remote::RemoteSettings> {
        self.remote_cache
            .as_ref()
            .map(|url| crate::cache::remote::RemoteSettings {
                url: url.clone(),
                aws_env: self.aws_env.clone(),
                ca_bundle: self.ca_bundle.clone(),
            })
    }

    /// The recipe folders, lowest layer first: kiln's built-in recipes, the project's
    /// `recipes/` (when it has one), then each `--recipe-dir` (see [`crate::recipe::Layers`]).
    pub fn recipe_layers(&self) -> Vec<crate::recipe::Layer> {
        use crate::recipe::{Layer, Origin};
        let mut layers = vec![Layer {
            origin: Origin::BuiltIn,
            dir: self.builtin_dir.join("recipes"),
        }];
        let project = self.project_dir.join("recipes");
        if project.is_dir() {
            layers.push(Layer {
                origin: Origin::Project,
                dir: project,
            });
        }
        layers.extend(self.recipe_dirs.iter().map(|dir| Layer {
            origin: Origin::CommandLine,
            dir: dir.clone(),
        }));
        layers
    }

    /// Per-recipe work trees (extracted sources, build logs).
    pub fn build_dir(&self) -> PathBuf {
        self.project_dir.join(".kiln/build")
    }
}

/// The nearest folder at or above `start` with a `platforms/` folder; else `start`.
fn find_project_dir(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join("platforms").is_dir())
        .unwrap_or(start)
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_prefers_kiln_variable_then_xdg_then_home() {
        let dir = Path::new("/nowhere");
        let lookup = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        let settings = Settings::from_lookup(
            Overrides::default(),
            dir,
            &lookup(&[("KILN_CACHE_DIR", "/c"), ("HOME", "/h")]),
        );
        assert_eq!(settings.cache_dir, PathBuf::from("/c"));
        let settings = Settings::from_lookup(
            Overrides::default(),
            dir,
            &lookup(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]),
        );
        assert_eq!(settings.cache_dir, PathBuf::from("/x/kiln"));
        let settings = Settings::from_lookup(Overrides::default(), dir, &lookup(&[("HOME", "/h")]));
        assert_eq!(settings.cache_dir, PathBuf::from("/h/.cache/kiln"));
        assert!(settings.recipe_dirs.is_empty());
        assert_eq!(
            settings.builtin_dir,
            Path::new("/h/.cache/kiln")
                .join(crate::builtin::BUCKET)
                .join(crate::builtin::content_hash().to_string())
        );
        assert_eq!(
            settings.platform_file,
            settings
                .builtin_dir
                .join("platforms/pyemscripten_2026_5.toml"),
            "no project platform file: kiln's own"
        );
        assert_eq!(settings.toolchain_mode, ToolchainMode::Root);
    }

    #[test]
    fn command_line_paths_resolve_against_the_current_folder() {
        let project = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(project.path().join("platforms")).unwrap();
        let current = project.path().join("sub/folder");
        let settings = Settings::from_lookup(Overrides::default(), &current, &|_| None);
        assert_eq!(settings.project_dir, project.path());
        assert_eq!(
            settings.command_line_path(Path::new("d")),
            current.join("d")
        );
        assert_eq!(
            settings.command_line_dir(Some(Path::new("../d")), "dist"),
            current.join("../d")
        );
        assert_eq!(
            settings.command_line_dir(None, "dist"),
            project.path().join("dist")
        );
        assert_eq!(
            settings.command_line_path(Path::new("/abs")),
            PathBuf::from("/abs")
        );
    }
}
