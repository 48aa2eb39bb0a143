//! `kiln serve`: a static file server on localhost for trying a distribution in a browser.
//!
//! Browsers compile `.wasm` streaming only when it is served as `application/wasm`, and load
//! ES modules only with a JavaScript MIME type; `file://` pages cannot `fetch` at all. This
//! serves one folder, read-only, to the loopback interface, one thread per connection. It is
//! a development tool, not a production server (a CDN serves `dist/` as plain files).
//!
//! When the client accepts it (`Accept-Encoding`), a file's precompressed copy beside it
//! (`x.br`, `x.gz`, written by `--install`, see [`crate::bundle::precompress`]) is sent
//! instead, with `Content-Encoding` and the original's type, brotli first: what a production
//! server should be configured to do too.
//!
//! Under `/simple/` it also answers as a package index of the folder's wheels ([`index`]:
//! PEP 503 and PEP 691), for micropip's `index_urls`.
//!
//! Every response makes its page cross-origin isolated ([`ISOLATION_HEADERS`]): the console
//! shares memory (a `SharedArrayBuffer`) with the worker that runs Python, for `input()` and
//! its Interrupt button, and browsers only offer that memory to isolated pages.

pub mod index;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

/// Sent with every response: `Cross-Origin-Opener-Policy: same-origin` and
/// `Cross-Origin-Embedder-Policy: require-corp` make a page cross-origin isolated, which
/// `SharedArrayBuffer` and `Atomics.wait` need (the worker console's `input()` and interrupts).
/// Under `require-corp` a page loads only what says it may be embedded, hence
/// `Cross-Origin-Resource-Policy: same-origin` on files ([`FILE_HEADERS`]).
pub const ISOLATION_HEADERS: &str =
    "Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n";

/// Sent with every file (and index page): only pages of this server may embed it.
pub const FILE_HEADERS: &str = "Cross-Origin-Resource-Policy: same-origin\r\n";

/// The MIME type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some("wasm") => "application/wasm",
        Some("mjs" | "js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("txt" | "py") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// The file a request path names inside `root`, refusing anything that could leave it.
pub fn resolve(root: &Path, request_path: &str) -> Option<PathBuf> {
    let path = request_path.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    let relative = decoded.trim_start_matches('/');
    // The one containment rule (no `..`, no NUL), as for every path kiln takes from input.
    let mut resolved = if relative.is_empty() {
        root.to_path_buf()
    } else {
        crate::fs::contained(root, relative, "request path").ok()?
    };
    if resolved.is_dir() {
        resolved.push("index.html");
    }
    Some(resolved)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Binds `127.0.0.1:port` (0 picks a free port) and returns the listener, so callers can
/// print the address before serving.
pub fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
}

/// Serves `root` on `listener` until the process ends.
pub fn serve(listener: TcpListener, root: PathBuf) -> std::io::Result<()> {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &root);
        });
    }
    Ok(())
}

fn handle(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read the headers (Accept-Encoding for files, Accept and Host for the index); the body
    // of a GET is empty.
    let mut header = String::new();
    let mut accept_encoding = String::new();
    let mut accept = String::new();
    let mut host = None;
    while reader.read_line(&mut header)? > 2 {
        if let Some((name, value)) = header.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("accept-encoding") {
                accept_encoding = value.trim().to_ascii_lowercase();
            } else if name.eq_ignore_ascii_case("accept") {
                accept = value.trim().to_string();
            } else if name.eq_ignore_ascii_case("host") {
                host = Some(value.trim().to_string());
            }
        }
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"only GET and HEAD\n",
            true,
        );
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.first() == Some(&index::PREFIX) {
        // Host names are plain: anything else is not put into a URL.
        let host = host.filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        });
        let format = index::negotiate(&accept);
        return match index::page(root, &segments[1..], format, host.as_deref())? {
            Some(page) => {
                tracing::debug!(path, "200 (index)");
                respond_with(
                    &mut stream,
                    "200 OK",
                    page.content_type,
                    &format!("Vary: Accept\r\n{FILE_HEADERS}"),
                    &page.body,
                    method == "GET",
                )
            }
            None => respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                b"no such project\n",
                method == "GET",
            ),
        };
    }
    match resolve(root, target).filter(|path| path.is_file()) {
        Some(path) => {
            let (body_path, encoding) = encoded_variant(&path, &accept_encoding);
            let body = fs_err::read(&body_path)?;
            tracing::debug!(path = %body_path.display(), "200");
            let mut extra = format!("Vary: Accept-Encoding\r\n{FILE_HEADERS}");
            if let Some(encoding) = encoding {
                extra.push_str(&format!("Content-Encoding: {encoding}\r\n"));
            }
            respond_with(
                &mut stream,
                "200 OK",
                content_type(&path),
                &extra,
                &body,
                method == "GET",
            )
        }
        None => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            method == "GET",
        ),
    }
}

/// The file to send for `path` given the client's `Accept-Encoding` (lower case): its `.br`
/// or `.gz` copy when there is one and the client takes it, with the encoding's name.
pub fn encoded_variant(path: &Path, accept_encoding: &str) -> (PathBuf, Option<&'static str>) {
    let accepts = |name: &str| {
        accept_encoding.split(',').any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            // `gzip;q=0` refuses gzip.
            let refused = parts.any(|param| {
                param
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    == Some(0.0)
            });
            coding == name && !refused
        })
    };
    for (suffix, name) in crate::bundle::precompress::ENCODINGS {
        let mut copy = path.as_os_str().to_owned();
        copy.push(suffix);
        let copy = PathBuf::from(copy);
        if accepts(name) && copy.is_file() {
            return (copy, Some(name));
        }
    }
    (path.to_path_buf(), None)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    respond_with(stream, status, content_type, "", body, with_body)
}

fn respond_with(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    extra_headers: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra_headers}{ISOLATION_HEADERS}Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if with_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn refuses_paths_that_leave_the_root() {
        let root = Path::new("/srv/dist");
        assert_eq!(
            resolve(root, "/python.wasm?x=1"),
            Some(PathBuf::from("/srv/dist/python.wasm"))
        );
        assert_eq!(resolve(root, "/a/../../etc/passwd"), None);
        assert_eq!(resolve(root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(root, "/python%00.wasm"), None);
        assert_eq!(
            resolve(root, "//a/./b.js"),
            Some(PathBuf::from("/srv/dist/a/b.js"))
        );
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("python.mjs")),
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn serves_files_with_their_mime_type() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("python.wasm"), b"\0asm").unwrap();
        let listener = bind(0).unwrap();
        let address = listener.local_addr().unwrap();
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || serve(listener, root));
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .write_all(b"GET /python.wasm HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(
            text.contains("Content-Type: application/wasm\r\n"),
            "{text}"
        );
        assert!(text.ends_with("\0asm"));
        // The console's worker shares memory with its page: isolation headers on every file.
        for header in [
            "Cross-Origin-Opener-Policy: same-origin\r\n",
            "Cross-Origin-Embedder-Policy: require-corp\r\n",
            "Cross-Origin-Resource-Policy: same-origin\r\n",
        ] {
            assert!(text.contains(header), "{text}");
        }
    }

    #[test]
    fn serves_precompressed_copies_to_clients_that_accept_them() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("python.wasm"), b"\0asm").unwrap();
        fs_err::write(dir.path().join("python.wasm.br"), b"BR").unwrap();
        fs_err::write(dir.path().join("python.wasm.gz"), b"GZ").unwrap();
        let listener = bind(0).unwrap();
        let address = listener.local_addr().unwrap();
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || serve(listener, root));
        let get = |accept: &str| {
            let mut stream = TcpStream::connect(address).unwrap();
            stream
                .write_all(
                    format!("GET /python.wasm HTTP/1.1\r\nHost: x\r\n{accept}\r\n").as_bytes(),
                )
                .unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).unwrap();
            String::from_utf8_lossy(&response).into_owned()
        };
        let br = get("Accept-Encoding: gzip, deflate, br, zstd\r\n");
        assert!(br.contains("Content-Encoding: br\r\n"), "{br}");
        assert!(br.contains("Content-Type: application/wasm\r\n"), "{br}");
        assert!(br.ends_with("\r\n\r\nBR"), "{br}");
        let gz = get("accept-encoding: gzip, br;q=0\r\n");
        assert!(
            gz.contains("Content-Encoding: gzip\r\n") && gz.ends_with("GZ"),
            "{gz}"
        );
        let plain = get("");
        assert!(!plain.contains("Content-Encoding"), "{plain}");
        assert!(plain.ends_with("\0asm"), "{plain}");
    }
}
