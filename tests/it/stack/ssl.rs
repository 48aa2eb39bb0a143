//! OpenSSL 3 as a shared library recipe (`libcrypto.so`, `libssl.so`, `dynlib` lock entries)
//! and CPython's `_ssl` and `_hashlib` built against it (recipe `ssl`): a TLS 1.3 handshake
//! between a client and a server context over memory BIOs in the runtime, with a certificate
//! made on the host for this run, certificate verification that refuses the wrong host name,
//! and OpenSSL's hashes in `hashlib` compared with the host's.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::stack_dist;
use crate::common::{run_ok, scratch};
use crate::runtime::python;
use crate::scipy::result_of;

fn ssl_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-ssl", &["ssl"]))
        .clone()
}

/// A self-signed EC certificate for `kiln.test` and its key, made by the host's `openssl`.
fn certificate() -> (String, String) {
    let dir = scratch("ssl-certificate");
    run_ok(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args([
                "-subj",
                "/CN=kiln.test",
                "-addext",
                "subjectAltName=DNS:kiln.test",
            ])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem")),
    );
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    (read("cert.pem"), read("key.pem"))
}

/// Client and server in one process, their records carried by memory BIOs; prints
/// `RESULT {json}`.
const HANDSHAKE: &str = r#"
import hashlib, json, ssl
cert, key = CERT, KEY
open("/tmp/cert.pem", "w").write(cert)
open("/tmp/key.pem", "w").write(key)
server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server.load_cert_chain("/tmp/cert.pem", "/tmp/key.pem")

def connect(hostname):
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=cert)
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_hostname=hostname)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    done = {c: False, s: False}
    for _ in range(20):
        for end in (c, s):
            if not done[end]:
                try:
                    end.do_handshake()
                    done[end] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            break
    return c, s, c_in, c_out, s_in, s_out

r = {"version": ssl.OPENSSL_VERSION.split()[1], "tls13": ssl.HAS_TLSv1_3}
c, s, c_in, c_out, s_in, s_out = connect("kiln.test")
c.write(b"ping over TLS")
s_in.write(c_out.read())
r["server_read"] = s.read(100).decode()
s.write(b"pong")
c_in.write(s_out.read())
r["client_read"] = c.read(100).decode()
r["protocol"] = c.version()
r["cipher"] = c.cipher()[0]
r["peer"] = dict(x[0] for x in c.getpeercert()["subject"])
try:
    connect("other.test")
    r["wrong_host"] = "accepted"
except ssl.SSLCertVerificationError as error:
    r["wrong_host"] = error.verify_message
r["pbkdf2"] = hashlib.pbkdf2_hmac("sha512", b"kiln", b"salt" * 4, 5000).hex()
r["scrypt"] = hashlib.scrypt(b"kiln", salt=b"NaCl", n=1024, r=8, p=2, dklen=32).hex()
r["hmac_sha3"] = __import__("hmac").new(b"k", b"kiln", "sha3_512").hexdigest()
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

#[test]
fn tls_over_memory_bios_and_openssl_hashes_work_in_the_runtime() {
    let dist = ssl_dist();
    let (cert, key) = certificate();
    let code = HANDSHAKE.replace("CERT, KEY", &format!("{cert:?}, {key:?}"));
    let runtime = result_of(&run_ok(python(&dist).args(["-c", &code])));
    eprintln!("runtime: {runtime}");
    assert_eq!(runtime["version"], "3.5.7");
    assert_eq!(runtime["tls13"], true);
    assert_eq!(runtime["server_read"], "ping over TLS");
    assert_eq!(runtime["client_read"], "pong");
    assert_eq!(runtime["protocol"], "TLSv1.3");
    assert_eq!(runtime["peer"]["commonName"], "kiln.test");
    assert_eq!(
        runtime["wrong_host"],
        "Hostname mismatch, certificate is not valid for 'other.test'."
    );
    // The same hashes from the host's Python and OpenSSL.
    let host = result_of(&run_ok(Command::new("python3").args([
        "-c",
        r#"import hashlib, hmac, json
print("RESULT " + json.dumps({
    "pbkdf2": hashlib.pbkdf2_hmac("sha512", b"kiln", b"salt" * 4, 5000).hex(),
    "scrypt": hashlib.scrypt(b"kiln", salt=b"NaCl", n=1024, r=8, p=2, dklen=32).hex(),
    "hmac_sha3": hmac.new(b"k", b"kiln", "sha3_512").hexdigest()}))"#,
    ])));
    for key in ["pbkdf2", "scrypt", "hmac_sha3"] {
        assert_eq!(runtime[key], host[key], "{key}");
    }
}
