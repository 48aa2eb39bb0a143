//! The Debian mirror the host already uses, read from its apt sources.
//!
//! kiln never names a mirror itself: it reuses the one the machine's administrator set up
//! (which is the only one reachable on closed networks), unless `KILN_DEBIAN_MIRROR` says
//! otherwise.

use std::path::Path;

/// The first Debian archive URI in the host's apt sources (one-line `.list` and deb822
/// `.sources` formats). A URI counts when its path ends in `/debian` and its suite is not a
/// security one, which is where the main archive lives on Debian mirrors.
pub fn host_debian_mirror(apt_dir: &Path) -> Option<String> {
    let mut files = vec![apt_dir.join("sources.list")];
    if let Ok(entries) = fs_err::read_dir(apt_dir.join("sources.list.d")) {
        let mut more: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    files
        .iter()
        .filter_map(|file| fs_err::read_to_string(file).ok())
        .flat_map(|text| candidate_uris(&text))
        .find(|uri| is_debian_archive(uri))
}

fn is_debian_archive(uri: &str) -> bool {
    uri.trim_end_matches('/').ends_with("/debian")
}

/// URIs of `deb` entries in either sources format.
fn candidate_uris(text: &str) -> Vec<String> {
    let mut uris = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("deb ") {
            // `deb [options] uri suite components`
            let rest = match rest.trim_start().strip_prefix('[') {
                Some(options) => options.split_once(']').map_or("", |(_, after)| after),
                None => rest,
            };
            if let Some(uri) = rest.split_whitespace().next() {
                uris.push(uri.to_string());
            }
        } else if let Some(list) = line.strip_prefix("URIs:") {
            uris.extend(list.split_whitespace().map(str::to_string));
        }
    }
    uris
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats_and_skips_other_archives() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("sources.list"),
            "# deb http://old.example/debian bookworm main\ndeb [arch=amd64] https://apt.example/repo stable main\n",
        )
        .unwrap();
        fs_err::create_dir(dir.path().join("sources.list.d")).unwrap();
        fs_err::write(
            dir.path().join("sources.list.d/debian.sources"),
            "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n",
        )
        .unwrap();
        assert_eq!(
            host_debian_mirror(dir.path()).as_deref(),
            Some("http://mirror.example/debian")
        );
    }
}
