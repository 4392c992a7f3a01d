"""The consumer's first hour, through the API: a forged serial on a real lot vouches for nothing, a recall
says what to do, a mistyped code opened in a browser gets a help page (API clients keep the problem
document), the language switch keeps the query, "code issued" appears once per item, and a code not yet
shipped reads as such. The browser's view of each is in tests/e2e/test_scan_consumer.py."""

from __future__ import annotations

from urllib.parse import quote

from tests.traceability.scans import BASE, JSON
from tests.traceability.scans import scan_path as _path

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _forge(code: dict) -> str:
    last = code["serial"][-1]
    return _path(code).replace(code["serial"], code["serial"][:-1] + ("0" if last != "0" else "1"))


def test_a_forged_serial_on_a_real_lot_shows_the_genuine_lot_as_the_lots_and_vouches_for_nothing(
    client, shipped
):
    _, decl, codes = shipped
    s = client.get(_forge(codes[0]), headers=JSON).json()
    assert s["verdict"]["status"] == "counterfeit"
    # Nothing of the real goods' record lends the fake its credibility...
    assert s["declaration"] is None and s["inspection"] is None and s["chain_of_custody"] == []
    assert s["enterprise"] is None and s["scans"] is None
    # ...and what the genuine goods are comes labelled as the lot's.
    assert s["facts_about"] == "genuine_lot"
    g = s["genuine_lot"]
    assert g["product"]["gtin"] == codes[0]["gtin"] and g["lot"]["lot"] == codes[0]["lot"]
    assert "不代表这件商品是正品" in g["note_zh"] and "does not vouch for this item" in g["note_en"]
    assert g["importer"]["uscc"] and g["importer"]["name_zh"]
    steps = [step["code"] for step in s["guidance"]["steps"]]
    assert steps[0] == "not_issued" and "check_typing" in steps and "report" in steps
    assert {link["href"] for link in s["guidance"]["links"]} >= {"tel:12315", "https://www.12315.cn/"}
    # The page says the same and shows no inspection, declaration or custody of the real lot.
    page = client.get(_forge(codes[0]), headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "该码不是本平台签发的" in text and "仅供比对" in text and "不是您手中这件商品的" in text
    assert decl["declaration_no"] not in text
    for absent in ('data-field="inspection"', 'class="timeline"', 'data-field="credit"', "流通记录"):
        assert absent not in text
    assert "tel:12315" in text


def test_a_never_issued_serial_reads_the_same_without_the_typing_hint(client, shipped, app):
    _, _, codes = shipped
    minted = app.state.keyring.new_serials(codes[0]["gtin"], codes[0]["lot"], 1)[0]
    s = client.get(_path(codes[0]).replace(codes[0]["serial"], minted), headers=JSON).json()
    assert s["verdict"]["status"] == "counterfeit" and s["chain_of_custody"] == []
    assert [step["code"] for step in s["guidance"]["steps"]] == ["not_issued", "keep_evidence", "report"]


def test_a_recalled_item_says_stop_return_contact_and_links_the_claim(client, shipped, flow):
    _, decl, codes = shipped
    r = client.post(
        f"/api/v1/enterprises/{flow.keys.merchant_id}/declarations/{decl['id']}/lines/1/recall",
        json={"reason": "抽检发现阪崎肠杆菌，主动召回"},
        headers=flow.m,
    )
    assert r.status_code == 200, r.text
    s = client.get(_path(codes[1]), headers=JSON).json()
    assert s["verdict"]["status"] == "recalled"
    guidance = s["guidance"]
    assert [step["code"] for step in guidance["steps"]] == ["stop_using", "return_refund", "contact"]
    assert s["enterprise"]["name_zh"] in guidance["steps"][2]["zh"]
    claim = next(link for link in guidance["links"] if link["rel"] == "complain")
    assert claim["href"] == f"{BASE}/complaints/new?code={quote(codes[1]['uri'], safe='')}"
    page = client.get(_path(codes[1]), headers=HTML).text
    assert "请立即停止使用或食用该商品" in page and "退货退款" in page and 'data-link="complain"' in page


def test_a_genuine_scan_keeps_its_json_and_needs_no_guidance(client, shipped):
    _, _, codes = shipped
    s = client.get(_path(codes[2]), headers=JSON).json()
    assert s["verdict"]["status"] == "genuine" and s["guidance"] is None
    # The answer before this change, key for key, is still there (extended, not broken).
    assert {"code", "verdict", "scans", "insurance_claim", "product", "lot", "declaration"} <= s.keys()
    assert {"inspection", "chain_of_custody", "recall", "enterprise"} <= s.keys()
    assert s["facts_about"] == "item" and s["genuine_lot"] is None


def test_a_mistyped_code_in_a_browser_gets_a_help_page_and_api_clients_the_problem(client, shipped):
    _, _, codes = shipped
    bad = _path(codes[0]).replace(codes[0]["gtin"], codes[0]["gtin"][:-1] + "0")
    if bad == _path(codes[0]):
        bad = _path(codes[0]).replace(codes[0]["gtin"], codes[0]["gtin"][:-1] + "1")
    page = client.get(bad, headers=HTML)
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "无法识别这个商品码" in page.text and 'data-problem-field="gtin"' in page.text
    assert "如何按标签输入代码" in page.text and 'action="/code"' in page.text
    assert f'value="{codes[0]["lot"]}"' in page.text  # the form keeps what was typed
    english = client.get(bad, headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    assert "This code could not be read" in english.text and "check digit" in english.text
    for accept in (JSON, {"Accept": "*/*"}, {}):
        problem = client.get(bad, headers=accept)
        assert problem.status_code == 400
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["errors"][0]["field"] == "gtin"


def test_the_typed_code_form_goes_to_the_codes_page_or_says_what_is_still_wrong(client, shipped):
    _, _, codes = shipped
    code = codes[0]
    short = "-".join(code["serial"][i : i + 4] for i in range(0, 20, 4)).lower()
    r = client.get(
        "/code",
        params={"gtin": f" {code['gtin']} ", "lot": code["lot"], "serial": short, "expiry": "280831"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (
        r.headers["location"] == f"/01/{code['gtin']}/10/{code['lot']}/21/{code['serial']}?17=280831&typed=1"
    )
    r = client.get("/code", params={"gtin": "123", "lot": code["lot"], "serial": code["serial"]})
    assert r.status_code == 400 and 'data-problem-field="gtin"' in r.text
    r = client.get("/code", params={"gtin": code["gtin"], "lot": code["lot"], "serial": ""})
    assert r.status_code == 400 and 'data-problem-field="serial"' in r.text


def test_a_serial_typed_from_the_short_code_opens_the_codes_page_not_a_counterfeit(client, shipped):
    _, _, codes = shipped
    code = codes[0]
    typed = "-".join(code["serial"][i : i + 4] for i in range(0, 20, 4)).lower()
    r = client.get(_path(code).replace(code["serial"], typed), headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == _path(code)
    # An API client gets exactly the answer for what it sent: no serial has 24 characters.
    problem = client.get(_path(code).replace(code["serial"], typed), headers=JSON)
    assert problem.status_code == 400 and problem.json()["errors"][0]["field"] == "serial"


def test_the_language_switch_keeps_every_query_parameter(client, shipped):
    _, _, codes = shipped
    page = client.get(_path(codes[0]) + "&city=宁波", headers=HTML).text
    expiry = _path(codes[0]).split("?17=")[1]
    assert f'href="?17={expiry}&amp;city=%E5%AE%81%E6%B3%A2&amp;lang=en"' in page
    back = client.get(_path(codes[0]) + "&lang=en", headers=HTML).text
    assert f'href="?17={expiry}&amp;lang=zh"' in back


def test_code_issued_appears_once_for_an_item_of_a_line_with_several_batches(client, flow):
    product = flow.product()
    decl = flow.declare(product["id"])
    flow.inspect(decl)
    decl = flow.release(decl)
    first = flow.codes(flow.issue(decl, quantity=2))
    second = flow.codes(flow.issue(decl, quantity=3))
    flow.ship(first[0]["gtin"], first[0]["lot"])
    for code in (first[0], second[0]):
        s = client.get(_path(code), headers=JSON).json()
        steps = [e["biz_step"] for e in s["chain_of_custody"]]
        assert steps.count("commissioning") == 1, steps
        assert steps == ["inspecting", "accepting", "commissioning", "shipping"]
    # Each item's issuance is its own batch's.
    times = [
        next(
            e["time"]
            for e in client.get(_path(c), headers=JSON).json()["chain_of_custody"]
            if e["biz_step"] == "commissioning"
        )
        for c in (first[0], second[0])
    ]
    assert times[0] < times[1]
    # The lot's own link (no item) shows the lot's first issuance, once.
    lot_only = client.get(f"/01/{first[0]['gtin']}/10/{first[0]['lot']}", headers=JSON).json()
    assert [e["biz_step"] for e in lot_only["chain_of_custody"]].count("commissioning") == 1


def test_a_code_not_yet_shipped_reads_not_yet_shipped_and_genuine_once_shipped(client, flow):
    _, _, codes = flow.released_codes(quantity=2)
    s = client.get(_path(codes[0]), headers=JSON).json()
    assert s["verdict"]["status"] == "not_shipped" and s["verdict"]["label_en"].startswith("Not yet shipped")
    assert [step["code"] for step in s["guidance"]["steps"]] == ["not_shipped"]
    page = client.get(_path(codes[0]), headers=HTML).text
    assert "尚未出区" in page and 'data-verdict="not_shipped"' in page and "可疑" not in page
    flow.ship(codes[0]["gtin"], codes[0]["lot"])  # the EPCIS shipping event, as captured today
    assert client.get(_path(codes[1]), headers=JSON).json()["verdict"]["status"] == "genuine"
