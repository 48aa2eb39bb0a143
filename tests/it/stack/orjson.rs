//! orjson (Rust, with the C parser yyjson): 400 random JSON documents (every kind of value,
//! escapes, astral characters, 64-bit integers, doubles from random bits) written and read
//! back, compared with the stdlib `json` module, in the runtime and on the host; orjson's own
//! types and options; and orjson's test suite (in its sdist) in the runtime.
//!
//! The package index has no orjson wheel for CPython 3.15 on x86_64, so the host runs the
//! stdlib `json` half of the script only: the runtime's `json` output must be the host's byte
//! for byte (the runtime's float formatting), and the runtime's orjson output must be the
//! runtime's `json` output (orjson writes exponents without leading zeros: `1e-7`, where
//! `repr` gives `1e-07`). orjson builds in well under a minute: light, run in CI.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{fetched_source, pytest_in_runtime, stack_dist};
use crate::common::{kiln, run_ok};
use crate::runtime::python;
use crate::scipy::result_of;

fn orjson_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        stack_dist(
            "dist-orjson",
            &["orjson", "numpy", "pytz", "tzdata", "python-dateutil"],
        )
    })
    .clone()
}

/// Prints `RESULT {json}`; without orjson (on the host) only the stdlib's digests.
const DOCUMENTS: &str = r#"
import dataclasses, datetime, enum, hashlib, json, random, re, struct, uuid
try:
    import orjson
except ImportError:
    orjson = None
rng = random.Random(17)
alphabet = "aZ09 _-\"\\/\b\f\n\r\t\x00\x1f\x7f\u00e9\u00df\u20ac\u2028\u2029\ufeff\U0001f600\U00010348"

def text():
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))

def double():
    while True:
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if value == value and abs(value) != float("inf"):
            return value

def value(depth):
    kind = rng.randrange(9 if depth < 5 else 6)
    if kind == 0: return rng.randrange(-(2**63), 2**63)
    if kind == 1: return rng.randrange(-1000, 1000)
    if kind == 2: return double()
    if kind == 3: return rng.choice([0.1, 1e-7, 1.5e300, -0.0, 2.0**-1074, 123456789.125])
    if kind == 4: return text()
    if kind == 5: return rng.choice([True, False, None])
    if kind in (6, 7): return {text(): value(depth + 1) for _ in range(rng.randrange(5))}
    return [value(depth + 1) for _ in range(rng.randrange(6))]

docs = [value(0) for _ in range(400)]
compact = [json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode() for d in docs]
pretty = [json.dumps(d, ensure_ascii=False, indent=2, sort_keys=True).encode() for d in docs]
digest = lambda blobs: hashlib.sha256(b"\n".join(blobs)).hexdigest()
r = {"json_compact": digest(compact), "json_pretty": digest(pretty)}
if orjson is not None:
    dumped = [orjson.dumps(d) for d in docs]
    r["orjson_compact"] = digest(dumped)
    indented = [orjson.dumps(d, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) for d in docs]
    # The same text as the stdlib's but for exponents: orjson writes 1e-7 where repr gives 1e-07.
    exponent = lambda blob: re.sub(rb"e([+-])0+(?=[0-9])", rb"e\1", blob)
    r["differs_from_json"] = [i for i, (a, b) in enumerate(zip(dumped, compact)) if a != exponent(b)]
    r["indented_differs_from_json"] = [i for i, (a, b) in enumerate(zip(indented, pretty)) if a != exponent(b)]
    r["stdlib_reads_orjson"] = all(json.loads(a) == d for a, d in zip(dumped, docs))
    r["loads_equal"] = all(orjson.loads(c) == d for c, d in zip(compact, docs))
    r["loads_str_equal"] = all(orjson.loads(c.decode()) == d for c, d in zip(compact, docs))
    r["loads_bytearray_memoryview"] = all(orjson.loads(bytearray(c)) == orjson.loads(memoryview(c)) == d for c, d in zip(compact, docs))

    class Kind(enum.Enum):
        A = "a"

    @dataclasses.dataclass
    class Row:
        id: uuid.UUID
        at: datetime.datetime
        day: datetime.date
        t: datetime.time
        kind: Kind
        tags: tuple

    row = Row(uuid.UUID(int=2**127 + 17), datetime.datetime(2026, 12, 4, 19, 5, 1, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=-3, minutes=-30))),
              datetime.date(1969, 7, 20), datetime.time(23, 59, 59, 5), Kind.A, (1, "x"))
    r["types"] = orjson.dumps(row).decode()
    r["naive_utc"] = orjson.dumps(datetime.datetime(2000, 1, 1), option=orjson.OPT_NAIVE_UTC | orjson.OPT_OMIT_MICROSECONDS).decode()
    r["non_str_keys"] = orjson.dumps({1: "a", 2.5: "b", None: "c", datetime.date(2026, 1, 1): "d"}, option=orjson.OPT_NON_STR_KEYS).decode()
    r["default"] = orjson.dumps({"s": {3, 1, 2}}, default=lambda o: sorted(o)).decode()
    errors = {}
    for name, call in {
        "big_int": lambda: orjson.dumps(2**64),
        "strict_53": lambda: orjson.dumps(2**53 + 1, option=orjson.OPT_STRICT_INTEGER),
        "nan_in": lambda: orjson.loads("NaN"),
        "trailing": lambda: orjson.loads("[1,2,]"),
        "bad_utf8": lambda: orjson.loads(b'"\xed\xa0\x80"'),
        "lone_surrogate": lambda: orjson.dumps("\ud800"),
        "depth": lambda: orjson.loads("[" * 1100 + "]" * 1100),
        "type": lambda: orjson.dumps(object()),
    }.items():
        try:
            call()
            errors[name] = "accepted"
        except (orjson.JSONDecodeError, orjson.JSONEncodeError) as e:
            errors[name] = [type(e).__name__, isinstance(e, (ValueError, TypeError))]
    r["errors"] = errors
    r["nan_out"] = orjson.dumps([float("nan"), float("inf")]).decode()
    r["fragment"] = orjson.dumps({"raw": orjson.Fragment(b'{"pre":"made"}')}).decode()
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

#[test]
fn orjson_agrees_with_json_in_the_runtime_and_on_the_host() {
    let dist = orjson_dist();
    let runtime = result_of(&run_ok(python(&dist).args(["-c", DOCUMENTS])));
    let host = result_of(&run_ok(kiln().args([
        "toolchain",
        "run",
        "--",
        "python3.15",
        "-c",
        DOCUMENTS,
    ])));
    eprintln!("runtime: {runtime}\nhost:    {host}");
    // The stdlib's text, equal in the runtime and on the host.
    assert_eq!(runtime["json_compact"], host["json_compact"]);
    assert_eq!(runtime["json_pretty"], host["json_pretty"]);
    // orjson's, equal to it but for exponents, and read back to the same values.
    assert_eq!(runtime["differs_from_json"], serde_json::json!([]));
    assert_eq!(runtime["indented_differs_from_json"], serde_json::json!([]));
    for key in [
        "loads_equal",
        "loads_str_equal",
        "loads_bytearray_memoryview",
        "stdlib_reads_orjson",
    ] {
        assert_eq!(runtime[key], true, "{key}");
    }
    // Types and options the stdlib has no counterpart for: orjson's documented output.
    assert_eq!(
        runtime["types"],
        r#"{"id":"80000000-0000-0000-0000-000000000011","at":"2026-12-04T19:05:01.123456-03:30","day":"1969-07-20","t":"23:59:59.000005","kind":"a","tags":[1,"x"]}"#
    );
    assert_eq!(runtime["naive_utc"], r#""2000-01-01T00:00:00+00:00""#);
    assert_eq!(
        runtime["non_str_keys"],
        r#"{"1":"a","2.5":"b","null":"c","2026-01-01":"d"}"#
    );
    assert_eq!(runtime["nan_out"], "[null,null]");
    assert_eq!(runtime["fragment"], r#"{"raw":{"pre":"made"}}"#);
    // Refusals: `JSONEncodeError` is `TypeError` itself; `JSONDecodeError` a `ValueError`.
    let encode = serde_json::json!(["TypeError", true]);
    let decode = serde_json::json!(["JSONDecodeError", true]);
    assert_eq!(
        runtime["errors"],
        serde_json::json!({
            "big_int": encode, "strict_53": encode, "lone_surrogate": encode, "type": encode,
            "nan_in": decode, "trailing": decode, "bad_utf8": decode, "depth": decode,
        })
    );
}

/// orjson's own tests (the sdist's `test/`), all of them, with NumPy for its NumPy tests. 745
/// of the skips are the fixture tests: their `data/` folder is not in the sdist. orjson's
/// `strict = true` refuses the marker expression `not slow` (it has no `slow` marker), so
/// the expression is emptied.
#[test]
fn orjson_test_suite_runs_in_the_runtime() {
    let dist = orjson_dist();
    let source = fetched_source("orjson");
    pytest_in_runtime(
        &dist,
        &source,
        "orjson,numpy,pytz,tzdata,python-dateutil,pytest",
        &["test"],
        &["-m", ""],
        &[],
    );
}
