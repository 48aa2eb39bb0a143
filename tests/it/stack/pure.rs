//! The stack's pure-Python packages and the small C one (`regex`), light enough for CI: each
//! recipe's own `[test]` runs in the runtime when it is built, and one script using them all
//! (HTTP requests prepared, HTML parsed with CSS selectors, algebra, graphs, Unicode regular
//! expressions, IDNA, charset detection, dates and time zones, parsing, pickling) runs in the
//! runtime and on the host with the same versions, and the results must be equal.

use super::{runtime_and_host, stack_dist};

/// The recipes, and the same versions for the host.
const PACKAGES: &[(&str, &str)] = &[
    ("beautifulsoup4", "4.15.0"),
    ("certifi", "2026.10.18"),
    ("charset-normalizer", "3.5.3"),
    ("cloudpickle", "3.1.3"),
    ("cycler", "0.12.1"),
    ("fonttools", "4.68.0"),
    ("idna", "3.20"),
    ("joblib", "1.6.0"),
    ("mpmath", "1.3.0"),
    ("networkx", "3.7"),
    ("pyparsing", "3.3.3"),
    ("python-dateutil", "4.0.0"),
    ("pytz", "2026.6"),
    ("regex", "2026.11.19"),
    ("requests", "2.34.2"),
    ("soupsieve", "4.1.4"),
    ("sympy", "1.14.0"),
    ("threadpoolctl", "3.8.0"),
    ("typing-extensions", "4.16.0"),
    ("tzdata", "2026.6"),
    ("urllib3", "2.8.0"),
];

/// Prints `RESULT {json}`.
const SCRIPT: &str = r#"
import datetime, io, json, pickle, zoneinfo
from importlib.metadata import version
r = {}
r["versions"] = {name: version(name) for name in NAMES}
import requests
prepared = requests.Request("POST", "https://example.org/api", params={"q": "kiln wasm"}, json={"a": [1, 2]}).prepare()
r["requests"] = [prepared.url, prepared.body.decode(), prepared.headers["Content-Length"], requests.utils.requote_uri("https://e.org/a b")]
from urllib3.util import parse_url
r["urllib3"] = list(parse_url("https://user@example.org:8443/a/b?q=1#f"))
from bs4 import BeautifulSoup
soup = BeautifulSoup("<div id=m><p class='note x'>one</p><p class=note>two <b>bold</b></p><p>three</p></div>", "html.parser")
r["bs4"] = [[p.get_text() for p in soup.select("div#m > p.note:not(.x)")], soup.select_one("p b").string, len(soup.find_all("p"))]
import sympy as sp
x, y = sp.symbols("x y")
r["sympy"] = [str(sp.integrate(sp.exp(-x ** 2) * x ** 3, (x, 0, sp.oo))), str(sp.factor(x ** 6 - y ** 6)),
              str(sp.solve([x + y - 10, x - y - 4], [x, y])), str(sp.series(sp.sin(x) / x, x, 0, 8)), str(sp.Matrix([[1, 2], [3, 4]]).inv())]
import mpmath
mpmath.mp.dps = 60
r["mpmath"] = [str(mpmath.pi), str(mpmath.zeta(3)), str(mpmath.quad(lambda t: mpmath.exp(-t * t), [-mpmath.inf, mpmath.inf]) ** 2)]
import networkx as nx
g = nx.petersen_graph()
r["networkx"] = [nx.diameter(g), sorted(nx.shortest_path_length(g, 0).values()), round(nx.average_clustering(nx.karate_club_graph()), 12),
                 sorted(map(sorted, nx.community.greedy_modularity_communities(nx.karate_club_graph())))]
import regex
r["regex"] = [regex.findall(r"\p{Greek}+", "alpha αβγ beta δ"), regex.sub(r"(?<w>\w+)", r"<\g<w>>", "a bc"),
              bool(regex.fullmatch(r"(?i)straße", "STRASSE", flags=regex.FULLCASE)), regex.findall(r"(?r)\d", "a1b2c3")]
import idna
r["idna"] = [idna.encode("ドメイン.テスト").decode(), idna.decode("xn--eckwd4c7c.xn--zckzah")]
from charset_normalizer import from_bytes
text = "Příliš žluťoučký kůň úpěl ďábelské ódy, jak se říká v Praze a v Brně."
best = from_bytes(text.encode("cp1250")).best()
r["charset"] = [str(best) == text, best.encoding]
from dateutil import parser, rrule, relativedelta
r["dateutil"] = [parser.parse("2024-02-29T12:30:00+05:30").isoformat(),
                 [d.isoformat() for d in rrule.rrule(rrule.MONTHLY, count=4, bymonthday=-1, dtstart=datetime.datetime(2024, 1, 1))],
                 (datetime.date(2024, 1, 31) + relativedelta.relativedelta(months=1)).isoformat()]
import pytz
r["pytz"] = str(pytz.timezone("America/New_York").localize(datetime.datetime(2024, 3, 10, 3, 30)).utcoffset())
r["zoneinfo"] = datetime.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Australia/Lord_Howe")).isoformat()
import pyparsing as pp
r["pyparsing"] = pp.DelimitedList(pp.pyparsing_common.number).parse_string("1, 2.5, -3e2").as_list()
from cycler import cycler
r["cycler"] = [sorted(d.items()) for d in (cycler(c=["r", "g"]) * cycler(ls=["-", ":"]))]
from fontTools.misc.roundTools import otRound
from fontTools.pens.boundsPen import BoundsPen
pen = BoundsPen(None)
pen.moveTo((0, 0)); pen.curveTo((10, 40), (50, 40), (60, 0)); pen.closePath()
r["fonttools"] = [list(pen.bounds), otRound(2.5), otRound(-2.5)]
import cloudpickle
r["cloudpickle"] = pickle.loads(cloudpickle.dumps(lambda v: [v, v * v]))(7)
import joblib
buf = io.BytesIO()
joblib.dump({"a": list(range(5))}, buf)
buf.seek(0)
r["joblib"] = [joblib.load(buf), joblib.Parallel(n_jobs=1)(joblib.delayed(pow)(k, 3) for k in range(5))]
from threadpoolctl import threadpool_limits
with threadpool_limits(limits=1):
    r["threadpoolctl"] = True
from typing_extensions import TypedDict, Literal, get_type_hints
class Point(TypedDict):
    x: int
    kind: Literal["a", "b"]
r["typing_extensions"] = str(get_type_hints(Point))
import certifi
r["certifi"] = certifi.contents().count("BEGIN CERTIFICATE")
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// Every package built with its recipe test, and the script's results equal the host's.
#[test]
fn pure_packages_match_the_host_in_the_runtime() {
    let names: Vec<&str> = PACKAGES.iter().map(|(name, _)| *name).collect();
    let dist = stack_dist("dist-pure", &names);
    let pins: Vec<String> = PACKAGES
        .iter()
        .map(|(name, version)| format!("{name}=={version}"))
        .collect();
    let pins: Vec<&str> = pins.iter().map(String::as_str).collect();
    let script = SCRIPT.replace("NAMES", &format!("{names:?}"));
    let (runtime, host) = runtime_and_host(&dist, "pure-host-venv", &pins, &script);
    super::assert_agree(&runtime, &host, 0.0, &[]);
    assert_eq!(runtime["charset"][0], true, "{}", runtime["charset"]);
    assert!(runtime["certifi"].as_u64().unwrap() > 100);
}
