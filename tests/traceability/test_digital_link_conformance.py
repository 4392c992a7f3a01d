"""GS1 Digital Link and resolver conformance, checked with GS1's own material: the reference Digital Link
toolkit (GS1DigitalLinkToolkit.js, run with node), GS1's linkset schema and the resolver description
file schema (tests/data/gs1/). Lots and serials come from the whole of GS1 AI character set 82."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.traceability.scans import BASE, JSON
from traceability.codes import DigitalLink, decompress, parse_path

GS1_DATA = Path(__file__).parents[1] / "data" / "gs1"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
assert len(CSET82) == 82
# Lots that cover all 82 characters between them, with the ones that must be percent-encoded together.
ISSUED_LOTS = ["/%&+?#"[:5] + "\"'", "A/B%2FC", "100%25", *[CSET82[i : i + 20] for i in range(0, 82, 20)]]


def toolkit(requests: list[dict]) -> list[dict]:
    """GS1's Digital Link toolkit over the requests (see tests/data/gs1/dl_toolkit.js)."""
    node = shutil.which("node")
    assert node, "node is needed for GS1's Digital Link toolkit (scripts/system-deps.sh installs it)"
    run = subprocess.run(
        [node, str(GS1_DATA / "dl_toolkit.js")],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def toolkit_process() -> Iterator[Callable[[list[dict]], list[dict]]]:
    """The same toolkit as `toolkit`, in one node process for the module (`dl_toolkit.js --lines`): a
    batch a line, for the generated links' test, which would start node once for each of its examples."""
    node = shutil.which("node")
    assert node, "node is needed for GS1's Digital Link toolkit (scripts/system-deps.sh installs it)"
    proc = subprocess.Popen(  # noqa: S603
        [node, str(GS1_DATA / "dl_toolkit.js"), "--lines"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert proc.stdin is not None and proc.stdout is not None

    def ask(requests: list[dict]) -> list[dict]:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(requests) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, f"the toolkit stopped (exit {proc.poll()})"
        return json.loads(line)

    yield ask
    proc.stdin.close()
    assert proc.wait(30) == 0


def _path(uri: str) -> str:
    return uri.removeprefix(BASE)


@pytest.fixture
def cset82_codes(flow):
    """A released declaration whose lots hold every CSET-82 character, two codes issued per lot."""
    product = flow.product()
    decl = flow.declare(product["id"], lots=tuple(ISSUED_LOTS), quantity=10)
    flow.inspect(decl)
    decl = flow.release(decl)
    codes = []
    for line_no in range(1, len(ISSUED_LOTS) + 1):
        batch = flow.issue(decl, line_no=line_no, quantity=2)
        codes += [{**c, "batch": batch["id"]} for c in flow.codes(batch)]
    for lot in ISSUED_LOTS:
        flow.ship(product["gtin"], lot)
    return product, codes


def test_the_qr_codes_of_cset82_lots_decode_to_their_uri_and_resolve_genuine(client, cset82_codes, flow):
    import io
    import zipfile

    import zxingcpp
    from PIL import Image

    _, codes = cset82_codes
    for code in codes[::2][:3]:  # the lots with / % & + ? " ' and an escape-looking %25
        r = client.get(
            f"/api/v1/enterprises/{flow.keys.merchant_id}/code-batches/{code['batch']}/qr.zip",
            params={"limit": 2},
            headers=flow.m,
        )
        assert r.status_code == 200
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            decoded = {
                b.text
                for name in zf.namelist()
                for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(zf.read(name))))
            }
        assert code["uri"] in decoded, (code["lot"], decoded)
        scan = client.get(_path(code["uri"]), headers=JSON).json()
        assert scan["verdict"]["status"] == "genuine" and scan["code"]["lot"] == code["lot"]


def test_every_cset82_lot_is_issued_and_resolves_as_itself(client, cset82_codes):
    """The worst of issue 13: a genuine code whose lot holds '/' or '%' must resolve as itself."""
    _, codes = cset82_codes
    assert {c["lot"] for c in codes} == set(ISSUED_LOTS)
    assert set("".join(ISSUED_LOTS)) == set(CSET82)
    for code in codes:
        r = client.get(_path(code["uri"]), headers=JSON)
        assert r.status_code == 200, (code["lot"], r.text)
        body = r.json()
        assert body["verdict"]["status"] == "genuine", (code["lot"], body["verdict"])
        assert (body["code"]["lot"], body["code"]["serial"]) == (code["lot"], code["serial"])
        # And through the redirect to the scan page, in a browser's way.
        page = client.get(_path(code["uri"]), follow_redirects=False)
        assert page.status_code == 307
        assert client.get(page.headers["Location"]).status_code == 200


def test_gs1_toolkit_validates_every_issued_uri_and_agrees_with_the_resolver(client, cset82_codes):
    _, codes = cset82_codes
    answers = toolkit([{"op": "extract", "uri": c["uri"]} for c in codes])
    for code, answer in zip(codes, answers, strict=True):
        assert answer["ok"], (code["uri"], answer)
        ais = answer["result"]["GS1"]
        assert ais == {"01": code["gtin"], "10": code["lot"], "21": code["serial"], "17": ais["17"]}
        link = parse_path(_path(code["uri"]).partition("?")[0], ais["17"])
        assert (link.gtin, link.lot, link.serial) == (ais["01"], ais["10"], ais["21"])


def test_compressed_links_made_by_gs1_toolkit_resolve_as_the_uncompressed_uri(client, cset82_codes):
    _, codes = cset82_codes
    compressed = toolkit([{"op": "compress", "uri": c["uri"], "stem": BASE} for c in codes])
    for code, answer in zip(codes, compressed, strict=True):
        assert answer["ok"], answer
        r = client.get(_path(answer["result"]), headers=JSON)
        assert r.status_code == 200, (answer["result"], r.text)
        assert (r.json()["code"]["lot"], r.json()["code"]["serial"]) == (code["lot"], code["serial"])
        assert r.json()["verdict"]["status"] == "genuine"
        assert f'<{code["uri"]}>; rel="owl:sameAs"' in r.headers["Link"]
        page = client.get(_path(answer["result"]), follow_redirects=False)
        assert page.status_code == 307 and page.headers["Location"].startswith(BASE + "/scan/01/")


# Every form GS1's toolkit writes: fully compressed or with the GTIN left uncompressed (`partial`), with its
# optimisations or without (see tests/data/gs1/dl_toolkit.js).
TOOLKIT_FORMS = [{}, {"optimise": True}, {"partial": True}, {"partial": True, "optimise": True}]


def facts(body: dict) -> dict:
    """What a scan says of a code: all of its JSON but the scan counter, which each scan moves."""
    return {k: v for k, v in body.items() if k != "scans"}


def assert_every_compressed_form_resolves_as_itself(client, uris: list[str]) -> int:
    """Each URI compressed by GS1's toolkit in every form: the same status, verdict and facts as the URI
    itself (as JSON), the URI named as owl:sameAs, and the same redirect for a browser. Returns how many
    compressed links were resolved."""
    requests = [{"op": "compress", "uri": u, "stem": BASE, **form} for u in uris for form in TOOLKIT_FORMS]
    answers = toolkit(requests)
    done = 0
    for request, answer in zip(requests, answers, strict=True):
        assert answer["ok"], (request, answer)
        uri, compressed = request["uri"], _path(answer["result"])
        plain = client.get(_path(uri), headers=JSON)
        packed = client.get(compressed, headers=JSON)
        assert packed.status_code == plain.status_code, (uri, compressed, packed.text)
        assert facts(packed.json()) == facts(plain.json()), (uri, compressed)
        assert f'<{uri}>; rel="owl:sameAs"' in packed.headers["Link"], (uri, packed.headers["Link"])
        page = client.get(compressed, follow_redirects=False)
        assert page.status_code == client.get(_path(uri), follow_redirects=False).status_code
        done += 1
    return done


def test_every_issued_code_compressed_by_gs1s_toolkit_in_every_form_resolves_as_itself(client, cset82_codes):
    """Issue 19 item 5: GS1's toolkit's optimised form (/GgdHOF…) answered 404 and the partly compressed one
    (/01/{gtin}/{base64url}) 400. Every code of the test batches (lots in every CSET 82 character), in every
    form the toolkit writes, resolves as the uncompressed URI."""
    _, codes = cset82_codes
    uris = [c["uri"] for c in codes]
    assert any(
        answer["result"].removeprefix(BASE).startswith("/Gg")
        for answer in toolkit([{"op": "compress", "uri": u, "stem": BASE, "optimise": True} for u in uris])
    )  # the 1A optimisation (01, 10, 17, 21) of the issue's /GgdHOF… is among them
    assert assert_every_compressed_form_resolves_as_itself(client, uris) == len(uris) * len(TOOLKIT_FORMS)


def test_a_compressed_link_with_compressed_non_gs1_pairs_passes_them_on(client, cset82_codes):
    """The toolkit can compress the URI's non-GS1 pairs too (linkType here): they act as if sent."""
    _, codes = cset82_codes
    uri = codes[0]["uri"] + "&linkType=gs1:verificationService"
    [answer] = toolkit([{"op": "compress", "uri": uri, "stem": BASE, "optimise": True, "others": True}])
    assert "?" not in answer["result"]
    r = client.get(_path(answer["result"]), follow_redirects=False)
    assert r.status_code == 307 and "view=verificationService" in r.headers["Location"]


def test_a_compressed_link_that_breaks_gs1s_rules_is_a_400_naming_the_ai(client, shipped):
    _, _, codes = shipped
    # Of a pair that must not go together, the one named is the later in the link's order (which the
    # compression may change).
    for query, named in (("&3103=00A500", {"3103"}), ("&3103=000500&3102=000400", {"3102", "3103"})):
        uri = codes[0]["uri"] + query
        # The toolkit compresses what it is given (it checks less than GS1's rules): the link is refused
        # when resolved, as its uncompressed URI is.
        [answer] = toolkit([{"op": "compress", "uri": uri, "stem": BASE, "optimise": True}])
        if not answer["ok"]:
            continue
        for path in (_path(answer["result"]), _path(uri)):
            r = client.get(path, headers=JSON)
            assert r.status_code == 400, (path, r.text)
            assert r.json()["errors"][0]["field"] in named


@pytest.mark.parametrize(
    "query,ai",
    [
        ("3103=00A500", "3103"),
        ("3103=0005001", "3103"),
        ("3103=", "3103"),
        ("3103=00050", "3103"),
        ("17=280314&17=290101", "17"),
        ("17=281332", "17"),
        ("3103=000500&3102=000400", "3102"),
        ("21=ABC", "21"),
        ("9999=1", "9999"),
    ],
)
def test_data_attributes_that_break_gs1s_rules_are_400_problem_documents_naming_the_ai(
    client, shipped, query, ai
):
    """Issue 19 item 6: these answered 200."""
    _, _, codes = shipped
    path = _path(codes[0]["uri"]).partition("?")[0] + "?" + query
    for accept in (JSON, {"Accept": "*/*"}, {"Accept": "application/linkset+json"}):
        r = client.get(path, headers=accept, follow_redirects=False)
        assert r.status_code == 400, (path, accept, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        error = r.json()["errors"][0]
        assert error["field"] == ai and f"({ai})" in r.json()["detail"], r.json()
    r = client.get(path + "&linkType=gs1:pip", follow_redirects=False)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == ai
    page = client.get("/scan" + path, headers={"Accept": "text/html"})
    assert page.status_code == 400 and f'data-problem-field="{ai}"' in page.text
    # Good data attributes and the parameters that are not GS1's still resolve.
    path = _path(codes[0]["uri"])  # ?17=YYMMDD
    for extra in ("", "&3103=000500", "&11=260101&15=281130", "&linkType=gs1:pip&context=x&lang=en"):
        r = client.get(path + extra, headers=JSON, follow_redirects=False)
        assert r.status_code in (200, 307), (extra, r.text)
        if r.status_code == 200:
            assert r.json()["verdict"]["status"] == "genuine"


links = st.builds(
    lambda lot, serial, cpv: DigitalLink("06901234567892", lot, serial, None, cpv),
    st.text(CSET82, min_size=1, max_size=20),
    st.text(CSET82, min_size=1, max_size=20),
    st.none() | st.text(CSET82, min_size=1, max_size=20),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(links, min_size=1, max_size=20))
def test_gs1_toolkit_reads_every_generated_cset82_link_as_the_parser_does(toolkit_process, batch):
    uris = [link.uri("https://id.example.com") for link in batch]
    answers = toolkit_process(
        [{"op": "extract", "uri": u} for u in uris]
        + [{"op": "compress", "uri": u, "stem": "https://id.example.com"} for u in uris]
    )
    for link, uri, read, packed in zip(batch, uris, answers, answers[len(uris) :], strict=False):
        assert read["ok"], (uri, read)
        expected = {"01": link.gtin, "10": link.lot, "21": link.serial} | (
            {"22": link.cpv} if link.cpv else {}
        )
        assert read["result"]["GS1"] == expected
        assert parse_path(uri.removeprefix("https://id.example.com")) == link
        # GS1's compression, decompressed by the resolver's decoder, is the same link; except where the
        # toolkit's compressor itself loses a value: it reads an all-digit value of 16 digits or more as
        # a JavaScript number (tests/traceability/test_gs1_syntax.py keeps such values out likewise).
        assert packed["ok"], packed
        if any(v and v.isdigit() and len(v) > 15 for v in (link.lot, link.serial, link.cpv)):
            continue
        found = decompress(packed["result"].removeprefix("https://id.example.com/"))
        assert found is not None and found[0] == link


# "." and ".." never reach the server as a path segment (RFC 3986 removes dot segments before sending):
# no lot may be one (traceability.codes.validate_lot), and the platform's serials have no dots.
_SEGMENT = st.text(CSET82, min_size=1, max_size=20).filter(lambda s: s not in (".", ".."))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lot=_SEGMENT, serial=_SEGMENT)
def test_any_cset82_code_on_a_known_product_is_read_as_sent(client, shipped, lot, serial):
    """Over HTTP, a generated lot and serial come back exactly as sent (decoded once); never issued, so
    the verdict is counterfeit, and a known GTIN answers 200 (the resolver walks up to it)."""
    product = shipped[0]
    link = DigitalLink(product["gtin"], lot, serial)
    r = client.get(link.path(), headers=JSON)
    assert r.status_code == 200, r.text
    assert (r.json()["code"]["lot"], r.json()["code"]["serial"]) == (lot, serial)
    assert r.json()["verdict"]["status"] == "counterfeit"


@pytest.mark.parametrize(
    "path,field",
    [
        ("/01/06901234567891/10/L", "gtin"),  # bad check digit
        ("/01/06901234567892/21/S/10/L", "path"),  # qualifiers out of order
        ("/01/06901234567892/99/x", "path"),  # not a key qualifier of 01
        ("/01/06901234567892/10/" + "L" * 21, "lot"),  # too long
        ("/01/06901234567892/10/L%C3%A9", "lot"),  # outside CSET 82
        ("/01/06901234567892/10/A%20B", "lot"),  # a space is not in CSET 82
        ("/01/06901234567892/10/A%zzB", "lot"),  # a % that is no escape
        ("/01/06901234567892/10/L/foo", "path"),  # an extra path segment
        ("/01/ABCDEFGHIJKLMN", "gtin"),
    ],
)
def test_invalid_digital_links_are_400_problem_documents(client, path, field):
    for accept in (JSON, {"Accept": "*/*"}, {"Accept": "application/linkset+json"}):
        r = client.get(path, headers=accept, follow_redirects=False)
        assert r.status_code == 400, (path, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field
        assert r.headers["access-control-allow-origin"] == "*"
    # A person's browser gets the help page instead, with the same status and the same field named.
    r = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), (path, r.status_code)
    assert f'data-problem-field="{field}"' in r.text
    assert r.headers["access-control-allow-origin"] == "*"


def test_unknown_gtin_and_link_type_are_404_and_an_unknown_lot_walks_up(client, shipped):
    product, _, codes = shipped
    unknown = "/01/06901234567892/10/L1/21/S1"
    assert client.get(unknown, headers=JSON).status_code == 404
    assert client.get(unknown + "?linkType=linkset").status_code == 404
    assert client.get(unknown + "?linkType=gs1:pip", follow_redirects=False).status_code == 404
    page = client.get(unknown, follow_redirects=False)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    path = _path(codes[0]["uri"]).partition("?")[0]
    r = client.get(path + "?linkType=gs1:nosuchlt", follow_redirects=False)
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "linkType"
    walk = client.get(f"/01/{product['gtin']}/10/KL8G", follow_redirects=False)
    assert walk.status_code == 307


def test_redirects_link_types_and_the_linkset_as_gs1_says(client, shipped):
    _, _, codes = shipped
    uri = codes[0]["uri"]
    path, _, query = _path(uri).partition("?")
    anchor = BASE + path
    linkset = client.get(path + "?linkType=linkset")
    assert linkset.status_code == 200
    assert linkset.headers["content-type"].startswith("application/linkset+json")
    body = linkset.json()
    schema = json.loads((GS1_DATA / "schemas" / "gs1-linkset-schema.json").read_text())
    jsonschema.validate(body, schema)
    context = body["linkset"][0]
    assert context["anchor"] == anchor and context["itemDescription"]
    assert context["https://gs1.org/voc/defaultLink"] == [
        {"href": BASE + "/scan" + path, "title": context["https://gs1.org/voc/defaultLink"][0]["title"]}
    ]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in linkset.headers["Link"]
    assert client.get(path + "?linkType=all").json() == body
    assert client.get(path, headers={"Accept": "application/linkset+json"}).json() == body
    # Every link type: a 307 to its href, the query string passed on, the linkset in the Link header.
    for rel, entries in context.items():
        if not rel.startswith("https://gs1.org/voc/"):
            continue
        name = rel.removeprefix("https://gs1.org/voc/")
        for form in (f"gs1:{name}", rel, f"https://ref.gs1.org/voc/{name}"):
            r = client.get(f"{path}?{query}&foo=bar&linkType={quote(form, safe='')}", follow_redirects=False)
            assert r.status_code == 307, (form, r.text)
            href = entries[0]["href"]
            sep = "&" if "?" in href else "?"
            assert r.headers["Location"] == f"{href}{sep}{query}&foo=bar"
            assert (
                r.headers["Link"]
                == f'<{anchor}?linkType=linkset>; rel="linkset"; type="application/linkset+json"'
            )
    default = client.get(path, follow_redirects=False)
    assert default.status_code == 307 and default.headers["Location"] == BASE + "/scan" + path
    verify = client.get(f"{path}?{query}&linkType=gs1:verificationService")
    assert verify.json()["verdict"]["status"] == "genuine"


def test_resolver_description_file_is_valid_against_gs1_schema(client):
    r = client.get("/.well-known/gs1resolver")
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    schema = json.loads((GS1_DATA / "schemas" / "resolverDescriptionFile.schema.json").read_text())
    jsonschema.validate(r.json(), schema, format_checker=jsonschema.FormatChecker())


def test_options_head_and_cors_on_resolver_paths(client, shipped):
    _, _, codes = shipped
    path = _path(codes[0]["uri"])
    for p in (path, "/scan" + path.partition("?")[0], "/.well-known/gs1resolver"):
        options = client.options(
            p, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        )
        assert options.status_code == 204, p
        assert options.headers["access-control-allow-origin"] == "*"
        assert set(options.headers["access-control-allow-methods"].replace(" ", "").split(",")) == {
            "GET",
            "HEAD",
            "OPTIONS",
        }
    assert 'rel="linkset"' in client.options(path).headers["Link"]
    for headers in (JSON, {"Accept": "text/html"}):
        head = client.head(path, headers=headers, follow_redirects=False)
        get = client.get(path, headers=headers, follow_redirects=False)
        assert head.status_code == get.status_code and head.content == b""
        assert head.headers["access-control-allow-origin"] == "*"
        assert "Link" in head.headers["access-control-expose-headers"]


def test_accept_language_falls_back_in_its_order(client, shipped):
    _, _, codes = shipped
    page = "/scan" + _path(codes[0]["uri"]).partition("?")[0]
    assert (
        client.get(page, headers={"Accept-Language": "fr-FR, en;q=0.8, zh;q=0.5"}).headers["content-language"]
        == "en"
    )
    assert (
        client.get(page, headers={"Accept-Language": "de, zh-CN;q=0.9, en;q=0.8"}).headers["content-language"]
        == "zh"
    )
    assert client.get(page, headers={"Accept-Language": "fr"}).headers["content-language"] == "zh"


def test_the_epcis_link_is_public_and_shows_only_this_items_events(client, shipped, flow):
    """gs1:epcis works without a key: the item's own events as a valid EPCISQueryDocument, with no other
    trade item's identifier in it."""
    from datetime import timedelta

    from core.clock import utcnow
    from traceability import epcis

    _, _, codes = shipped
    mine, other = (f"https://id.gs1.org{_path(c['uri']).partition('?')[0]}" for c in codes[:2])
    event = {
        "type": "ObjectEvent",
        "eventTime": (utcnow() + timedelta(minutes=2)).isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "retail_selling",
        "epcList": [mine, other],
    }
    r = client.post("/api/v1/epcis/capture", json=event, headers=flow.m)
    assert r.status_code == 202 and r.json()["success"], r.text
    path = _path(codes[0]["uri"])
    target = client.get(path + "&linkType=gs1:epcis", follow_redirects=False)
    assert target.status_code == 307
    doc = client.get(target.headers["Location"])  # no API key
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("application/ld+json")
    body = doc.json()
    assert epcis.schema_problems(body) == []
    events = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert {e.get("bizStep") for e in events} >= {"shipping", "retail_selling"}
    assert other not in json.dumps(body) and mine in json.dumps(body)
    forged = client.get(
        f"/scan/01/{codes[0]['gtin']}/10/{codes[0]['lot']}/21/1AAAAAAAAAAAAAAAAAAA?view=epcis"
    )
    assert forged.status_code == 404


def test_a_lot_that_a_link_would_lose_is_refused():
    """A lot of "." or ".." would vanish from the code's path in every browser: refused when declared."""
    from traceability.codes import CodeError, validate_declared_lot
    from traceability.schemas import _lot

    for lot in (".", ".."):
        with pytest.raises(CodeError) as refused:
            validate_declared_lot(lot)
        assert refused.value.field == "lot"
        with pytest.raises(ValueError, match="cannot be a lot"):
            _lot(lot)  # the declaration's schema
    assert validate_declared_lot("...") == "..." and _lot("L.1") == "L.1"
