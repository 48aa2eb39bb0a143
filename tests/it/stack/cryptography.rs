//! cryptography (Rust and cffi over kiln's shared OpenSSL 3.5.7): hashes, MACs, KDFs, AEAD
//! and block ciphers with fixed keys and nonces, Fernet with a fixed key, time and IV,
//! Ed25519, deterministic ECDSA, ECDH, X25519 and RSA with fixed keys, a certificate and a
//! request built, serialized, parsed and verified: compared with cryptography's own x86_64
//! wheel on the host (which carries its own OpenSSL); and cryptography's test suite, with its
//! test vectors, in the runtime.
//!
//! cryptography takes minutes to build on two cores (docs/stack.md), so these tests are heavy.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::{fetched_source, pytest_in_runtime, runtime_and_host, stack_dist};
use crate::common::{kiln, project_dir, root_venv, run_ok};

fn cryptography_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-cryptography", &["cryptography"]))
        .clone()
}

/// The host venv, holding the same release.
const HOST: &[&str] = &["cryptography==50.0.2"];

/// Prints `RESULT {json}`; `RSA_PEM` is replaced by a key made for the run.
const CRYPTO: &str = r#"
import datetime, hashlib, json
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import cmac, hashes, hmac, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding as apad, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESOCB3, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
r = {}
data = bytes(range(256)) * 41 + b"kiln"
key32, key16 = bytes(range(32)), bytes(range(100, 116))
nonce12 = bytes(range(12))

def digest(algorithm):
    h = hashes.Hash(algorithm); h.update(data); return h.finalize().hex()

r["hashes"] = {a.name: digest(a) for a in (hashes.SHA1(), hashes.SHA224(), hashes.SHA256(), hashes.SHA512(), hashes.SHA3_256(),
                                           hashes.SHA3_512(), hashes.BLAKE2b(64), hashes.BLAKE2s(32), hashes.SM3(), hashes.MD5())}
x = hashes.XOFHash(hashes.SHAKE128(digest_size=2**63 - 1)); x.update(data); r["shake128"] = x.squeeze(40).hex()
m = hmac.HMAC(key32, hashes.SHA384()); m.update(data); r["hmac"] = m.finalize().hex()
c = cmac.CMAC(algorithms.AES(key16)); c.update(data); r["cmac"] = c.finalize().hex()
r["hkdf"] = HKDF(hashes.SHA256(), 64, salt=b"salt", info=b"kiln").derive(key32).hex()
r["pbkdf2"] = PBKDF2HMAC(hashes.SHA256(), 32, b"salt", 10000).derive(b"password").hex()
r["scrypt"] = Scrypt(b"NaCl", 32, 1024, 8, 2).derive(b"password").hex()
r["aes_gcm"] = AESGCM(key32).encrypt(nonce12, data, b"header").hex()[-96:]
r["aes_ocb3"] = AESOCB3(key16).encrypt(nonce12, data[:100], None).hex()
r["chacha20poly1305"] = ChaCha20Poly1305(key32).encrypt(nonce12, data, b"header").hex()[-96:]
p = padding.PKCS7(128).padder(); padded = p.update(data) + p.finalize()
e = Cipher(algorithms.AES(key32), modes.CBC(bytes(16))).encryptor()
cbc = e.update(padded) + e.finalize()
r["aes_cbc"] = hashlib.sha256(cbc).hexdigest()
d = Cipher(algorithms.AES(key32), modes.CBC(bytes(16))).decryptor()
u = padding.PKCS7(128).unpadder(); r["aes_cbc_roundtrip"] = u.update(d.update(cbc) + d.finalize()) + u.finalize() == data
e = Cipher(algorithms.AES(key16), modes.CTR(bytes(16))).encryptor(); r["aes_ctr"] = hashlib.sha256(e.update(data) + e.finalize()).hexdigest()
# Fernet with a fixed key, time and IV (the private entry point `encrypt` uses after drawing them).
f = Fernet(b"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
token = f._encrypt_from_parts(b"kiln wasm", 1767225600, bytes(range(16)))
r["fernet"] = token.decode()
r["fernet_decrypt"] = f.decrypt_at_time(token, ttl=60, current_time=1767225630).decode()
# Signatures with fixed keys: Ed25519 and deterministic ECDSA (RFC 6979), and X25519.
ed = ed25519.Ed25519PrivateKey.from_private_bytes(key32)
r["ed25519_public"] = ed.public_key().public_bytes_raw().hex()
r["ed25519_sig"] = ed.sign(data).hex()
ed.public_key().verify(bytes.fromhex(r["ed25519_sig"]), data)
ecdsa = ec.derive_private_key(int.from_bytes(key32, "big"), ec.SECP256R1())
r["ecdsa_public"] = ecdsa.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint).hex()
r["ecdsa_deterministic"] = ecdsa.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)).hex()
r["ecdh"] = ecdsa.exchange(ec.ECDH(), ec.derive_private_key(7, ec.SECP256R1()).public_key()).hex()
r["x25519"] = x25519.X25519PrivateKey.from_private_bytes(key32).exchange(x25519.X25519PrivateKey.from_private_bytes(bytes(range(1, 33))).public_key()).hex()
# RSA with the host-made key: PKCS#1 v1.5 signatures are deterministic; PSS and OAEP round trip.
rsa_key = serialization.load_pem_private_key(RSA_PEM.encode(), None)
r["rsa_bits"] = rsa_key.key_size
r["rsa_pkcs1"] = rsa_key.sign(data, apad.PKCS1v15(), hashes.SHA256()).hex()
pss = apad.PSS(apad.MGF1(hashes.SHA256()), apad.PSS.MAX_LENGTH)
rsa_key.public_key().verify(rsa_key.sign(data, pss, hashes.SHA256()), data, pss, hashes.SHA256())
oaep = apad.OAEP(apad.MGF1(hashes.SHA256()), hashes.SHA256(), None)
r["rsa_oaep"] = rsa_key.decrypt(rsa_key.public_key().encrypt(b"kiln", oaep), oaep).decode()
r["rsa_pkcs8_der"] = hashlib.sha256(rsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())).hexdigest()
r["ssh_public"] = ed.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
# A certificate signed with the Ed25519 key (deterministic: the same PEM), then parsed back.
name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kiln"),
                  x509.NameAttribute(NameOID.COMMON_NAME, "kiln.test")])
t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ed.public_key()).serial_number(2**70 + 17)
        .not_valid_before(t).not_valid_after(t + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("kiln.test"), x509.DNSName("*.kiln.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ed, None))
pem = cert.public_bytes(serialization.Encoding.PEM)
r["cert_pem"] = pem.decode()
back = x509.load_pem_x509_certificate(pem)
r["cert"] = [back.subject.rfc4514_string(), back.serial_number, str(back.not_valid_after_utc), back.fingerprint(hashes.SHA256()).hex(),
             back.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName),
             back.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length, back.signature_algorithm_oid.dotted_string]
back.verify_directly_issued_by(back)
csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(ecdsa, hashes.SHA256(), ecdsa_deterministic=True)
r["csr"] = [csr.is_signature_valid, hashlib.sha256(csr.public_bytes(serialization.Encoding.DER)).hexdigest()]
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// A 2048-bit RSA private key in PEM, made by the host's `openssl`.
fn rsa_key() -> String {
    let pem = run_ok(Command::new("openssl").args(["genrsa", "2048"]));
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    pem
}

/// The same code in the runtime and on the host gives the same bytes, every key.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn cryptography_matches_the_host_in_the_runtime() {
    let dist = cryptography_dist();
    let code = CRYPTO.replace("RSA_PEM", &format!("{:?}", rsa_key()));
    let (runtime, host) = runtime_and_host(&dist, "cryptography-host-venv", HOST, &code);
    super::assert_agree(&runtime, &host, 0.0, &[]);
    assert_eq!(runtime["fernet_decrypt"], "kiln wasm");
    assert_eq!(runtime["rsa_oaep"], "kiln");
    assert_eq!(runtime["aes_cbc_roundtrip"], true);
    assert_eq!(runtime["csr"][0], true);
}

/// cryptography's own tests (the sdist's `tests/`) with the test vectors of the same release
/// (`cryptography_vectors`, a 56 MB wheel) and `pretend`, unpacked once from the package index
/// on the host and put on the runtime's `sys.path` through pytest's `pythonpath`.
#[test]
#[ignore = "heavy: run by scripts/test-heavy"]
fn cryptography_test_suite_runs_in_the_runtime() {
    let dist = cryptography_dist();
    let source = fetched_source("cryptography");
    let deps = test_dependencies();
    let pythonpath = format!("pythonpath={}", deps.display());
    pytest_in_runtime(
        &dist,
        &source,
        "cryptography,pytest,hypothesis",
        &["tests"],
        &["--ignore=tests/bench", "-o", "addopts=", "-o", &pythonpath],
        DESELECTED,
    );
}

/// `cryptography_vectors` and `pretend`, unpacked into `target/kiln-tests/cryptography-test-deps`.
fn test_dependencies() -> PathBuf {
    let dir = project_dir().join("target/kiln-tests/cryptography-test-deps");
    if !dir.join("cryptography_vectors").is_dir() {
        let venv = root_venv("cryptography-host-venv", HOST);
        let wheels = dir.join("wheels");
        run_ok(
            kiln()
                .args(["toolchain", "run", "--"])
                .arg(venv.join("bin/pip"))
                .args(["download", "--quiet", "--no-deps", "--only-binary", ":all:"])
                .args(["cryptography_vectors==50.0.2", "pretend==1.0.9", "--dest"])
                .arg(&wheels),
        );
        for wheel in std::fs::read_dir(&wheels).expect("the downloaded wheels") {
            run_ok(
                kiln()
                    .args(["toolchain", "run", "--"])
                    .arg(venv.join("bin/python"))
                    .args(["-m", "zipfile", "-e"])
                    .arg(wheel.expect("a wheel").path())
                    .arg(&dir),
            );
        }
    }
    dir
}

const NO_PROCESSES: &str =
    "imports each module in a new interpreter (subprocess): no processes in the runtime";

/// Known failures, with the reason (a prefix deselects every parameter of a test).
const DESELECTED: &[(&str, &str)] =
    &[("tests/test_meta.py::test_no_circular_imports", NO_PROCESSES)];
