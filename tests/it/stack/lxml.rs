//! lxml on kiln's static libxml2 and libxslt: parsing (XML, HTML, broken markup), XPath,
//! XSLT with EXSLT, schemas (DTD, XML Schema, RelaxNG), canonicalisation, iterparse, objectify
//! and serialisation, compared with lxml's own x86_64 wheel on the host; and a slice of
//! lxml's own test suite (from its sdist) in the runtime. libxml2, libxslt and lxml build in
//! about 4 minutes on two cores from nothing: light, in CI.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{fetched_source, pytest_in_runtime, runtime_and_host, stack_dist};

fn lxml_dist() -> PathBuf {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| stack_dist("dist-lxml", &["lxml"]))
        .clone()
}

/// Prints `RESULT {json}`.
const DOCUMENTS: &str = r#"
import io, json
from lxml import etree, html, objectify
from lxml.builder import E
r = {}
xml = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- a catalogue -->
<cat xmlns="urn:cat" xmlns:p="urn:price" year="2026">
  <book id="b1" lang="en"><title>Kilns &amp; Glazes</title><p:price cur="EUR">31.50</p:price></book>
  <book id="b2" lang="fr"><title>Fours \xe0 bois</title><p:price cur="EUR">18.00</p:price></book>
  <book id="b3" lang="en"><title>Wasm</title><p:price cur="USD">42.25</p:price><![CDATA[<raw>]]></book>
</cat>"""
ns = {"c": "urn:cat", "p": "urn:price"}
root = etree.fromstring(xml)
r["xpath"] = [root.xpath("string(//c:book[@lang='fr']/c:title)", namespaces=ns),
              root.xpath("sum(//p:price[@cur='EUR'])", namespaces=ns),
              root.xpath("count(//c:book)", namespaces=ns),
              [b.get("id") for b in root.xpath("//c:book[p:price > 20]", namespaces=ns)],
              root.xpath("//c:book[last()]/text()", namespaces=ns)]
r["serialise"] = [etree.tostring(root, encoding="unicode"), etree.tostring(root, method="c14n").decode(),
                  etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode()]
r["c14n2"] = etree.canonicalize(xml.decode("latin-1").split("?>", 1)[1], strip_text=True)
xslt = etree.XSLT(etree.XML(b"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:c="urn:cat" xmlns:p="urn:price" xmlns:math="http://exslt.org/math" xmlns:date="http://exslt.org/dates-and-times"
  xmlns:str="http://exslt.org/strings" exclude-result-prefixes="c p math date str">
  <xsl:param name="cur" select="'EUR'"/>
  <xsl:output method="html" indent="no"/>
  <xsl:template match="/"><table><xsl:for-each select="//c:book[p:price/@cur=$cur]"><xsl:sort select="c:title"/>
    <tr><td><xsl:value-of select="str:align(c:title, '..............', 'right')"/></td><td><xsl:value-of select="format-number(p:price, '#,##0.0')"/></td></tr>
  </xsl:for-each><tr><td><xsl:value-of select="math:max(//p:price)"/></td><td><xsl:value-of select="date:add('2026-12-04', 'P1M')"/></td></tr></table></xsl:template>
</xsl:stylesheet>"""))
r["xslt"] = [str(xslt(root)), str(xslt(root, cur=etree.XSLT.strparam("USD")))]
dtd = etree.DTD(io.StringIO("<!ELEMENT a (b+)><!ELEMENT b (#PCDATA)><!ATTLIST b n CDATA #REQUIRED>"))
r["dtd"] = [dtd.validate(etree.XML("<a><b n='1'>x</b></a>")), dtd.validate(etree.XML("<a><b>x</b></a>")),
            [str(e.message) for e in dtd.error_log]]
xsd = etree.XMLSchema(etree.XML(b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="n"><xs:simpleType><xs:restriction base="xs:integer"><xs:maxInclusive value="9"/></xs:restriction></xs:simpleType></xs:element>
</xs:schema>"""))
r["xsd"] = [xsd.validate(etree.XML("<n>7</n>")), xsd.validate(etree.XML("<n>12</n>")), [e.message for e in xsd.error_log]]
rng = etree.RelaxNG(etree.XML(b"""<element name="l" xmlns="http://relaxng.org/ns/structure/1.0"><oneOrMore><element name="i"><text/></element></oneOrMore></element>"""))
r["relaxng"] = [rng.validate(etree.XML("<l><i>a</i></l>")), rng.validate(etree.XML("<l/>"))]
broken = etree.fromstring("<a><b>one<c>two</b>", etree.XMLParser(recover=True))
r["recover"] = etree.tostring(broken).decode()
try:
    etree.fromstring("<a><b></a>")
except etree.XMLSyntaxError as e:
    r["syntax_error"] = [e.msg, e.lineno, e.position]
page = html.fromstring("<html><body><div class=x><p>Hi <a href='/k?a=1&b=2'>link</a><br>there<table><tr><td>1<td>2</table></div>")
page.make_links_absolute("https://example.org/base/")
r["html"] = [html.tostring(page, encoding="unicode"), page.text_content(), [l for _, _, l, _ in page.iterlinks()]]
events = [(ev, el.tag) for ev, el in etree.iterparse(io.BytesIO(xml), events=("start", "end"), tag="{urn:cat}book")]
r["iterparse"] = events
obj = objectify.fromstring("<r><n>3</n><f>2.5</f><s>x</s><b>true</b></r>")
r["objectify"] = [obj.n + 1, obj.f * 2, str(obj.s), bool(obj.b), objectify.dump(obj)]
r["builder"] = etree.tostring(E.doc(E.h1("T", id="t"), E.p("a ", E.em("b"), " c"))).decode()
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// The same code in the runtime and on the host gives equal results (lxml's x86_64 wheel
/// bundles its own libxml2 and libxslt builds).
#[test]
fn lxml_matches_the_host_in_the_runtime() {
    let dist = lxml_dist();
    let (runtime, host) = runtime_and_host(&dist, "lxml-host-venv", &["lxml==6.2.0"], DOCUMENTS);
    super::assert_agree(&runtime, &host, 0.0, &[]);
}

/// Prints `RESULT {json}`. lxml.objectify is imported before lxml.etree, so its module is
/// instantiated first: both link libxml2, and each must use its own copy (see
/// recipes/libxml2), or etree's parser loads DTDs, entities and XIncludes with objectify's
/// libxml2, whose entity loader is not lxml's, and the resolvers are never asked.
const RESOLVERS: &str = r#"
import io, json
from lxml import objectify
from lxml import etree
seen = []
class Resolver(etree.Resolver):
    def resolve(self, url, pubid, context):
        seen.append(url)
        if url.endswith(".dtd"):
            return self.resolve_string('<!ENTITY who "%s"><!ELEMENT doc ANY><!ELEMENT n ANY>' % url, context)
        if url.endswith(".ent"):
            return self.resolve_string("external <b>entity</b>", context)
        if url.endswith("part.xml"):
            return self.resolve_string('<part n="1">included</part>', context)
        return None
r = {}
parser = etree.XMLParser(dtd_validation=True)
parser.resolvers.add(Resolver())
r["dtd"] = etree.parse(io.StringIO('<!DOCTYPE doc SYSTEM "kiln.dtd"><doc>&who;</doc>'), parser).getroot().text
parser = etree.XMLParser(load_dtd=True, resolve_entities=True)
parser.resolvers.add(Resolver())
doc = etree.fromstring('<!DOCTYPE doc [<!ENTITY ext SYSTEM "kiln.ent">]><doc>&ext;</doc>', parser)
r["entity"] = etree.tostring(doc).decode()
tree = etree.parse(io.StringIO('<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="part.xml"/></r>'), parser)
tree.xinclude()
r["xinclude"] = etree.tostring(tree).decode()
parser = objectify.makeparser(load_dtd=True)
parser.resolvers.add(Resolver())
r["objectify"] = objectify.fromstring('<!DOCTYPE doc SYSTEM "o.dtd"><doc><n>&who;</n></doc>', parser).n.text
r["seen"] = seen
print("RESULT " + json.dumps(r, sort_keys=True))
"#;

/// lxml's resolvers supply a DTD, an external entity and an XInclude (equal to the host's
/// results), also when lxml.objectify was imported first.
#[test]
fn lxml_resolvers_are_asked_with_objectify_imported_first() {
    let dist = lxml_dist();
    let (runtime, host) = runtime_and_host(&dist, "lxml-host-venv", &["lxml==6.2.0"], RESOLVERS);
    assert_eq!(runtime["dtd"], "kiln.dtd", "{runtime}");
    super::assert_agree(&runtime, &host, 0.0, &[]);
}

/// lxml's own tests (unittest cases in its sdist's `src/lxml/tests`), run by pytest against
/// the installed lxml: the folder is copied out as a package of its own (`lxml_tests`; its
/// modules import each other relatively), so that `lxml` is the installed one.
#[test]
fn lxml_test_suite_runs_in_the_runtime() {
    let dist = lxml_dist();
    let source = fetched_source("lxml");
    std::fs::rename(source.join("src/lxml/tests"), source.join("lxml_tests")).unwrap();
    pytest_in_runtime(
        &dist,
        &source,
        "lxml,pytest",
        &["lxml_tests"],
        // lxml's own runner builds concrete test cases from the `_…` base classes inside each
        // module's `test_suite()`; pytest collects the bases themselves, which fail (no
        // `etree` attribute), and `test_suite()` as a test. The concrete subclasses run. The
        // `test_suite()` functions add doctests of the documentation (`doc/*.txt`), not run.
        &["-k", KEYWORDS],
        DESELECTED,
    );
}

/// Leaves out the abstract base classes and the `test_suite()` functions.
const KEYWORDS: &str = "not test_suite and not _ETreeTestCaseBase and not _IOTestCaseBase \
    and not _XmlFileTestCaseBase and not _ElementSlicingTest and not _XMLPullParserTest \
    and not _C14NTest and not _XIncludeTestCase";

/// Known failures, with the reason; ids are relative to the sdist.
const DESELECTED: &[(&str, &str)] = &[
    (
        "lxml_tests/test_threading.py",
        "starts threads: the runtime has none",
    ),
    (
        "lxml_tests/test_external_document.py::ExternalDocumentTestCase::test_external_document_adoption",
        "runs Python in a subprocess: the runtime has no processes",
    ),
];
