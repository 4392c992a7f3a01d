"""The scan tells the truth kindly: a code typed by hand that fails its check asks to check what was typed
(a scanned one says it is not ours), an unknown GTIN is "not registered here", a black-listed importer's
warning sits beside the verdict, the credit report shows the importer's insurance, a tracking page never
says 先行赔付中 and 已赔付 at once, a wrong tracking code gets help, and new tracking codes have no
look-alike characters."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from api import demo, demo_insurance
from tests.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


pytestmark = pytest.mark.demo_seeded  # every test starts from the demo as `demo.seed` leaves it


@pytest.fixture
def site(app, db, dispatcher):
    with TestClient(app):
        scans = demo.demo_scans(db, app.state.keyring, per_line=4)
        insured = demo_insurance.seed_insurance(db)
        dispatcher.drain()
        app.state.enterprise_cards._cards.clear()  # the grades just computed
        yield {"scans": scans, "insured": insured}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _genuine(site) -> str:
    return next(u for note, u in site["scans"] if note.startswith("genuine, grade C"))


def _mistyped(url: str) -> tuple[str, dict[str, str]]:
    path = urlsplit(url).path
    gtin, lot, serial = re.match(r"^/01/(\d+)/10/([^/]+)/21/([^/?]+)", path).groups()
    wrong = serial[:-1] + ("2" if serial[-1] != "2" else "3")  # one character off
    return f"/01/{gtin}/10/{lot}/21/{wrong}", {"gtin": gtin, "lot": lot, "serial": wrong}


def test_a_mistyped_code_asks_to_check_what_was_typed_and_a_scanned_one_says_it_is_not_ours(app, site):
    forged, typed = _mistyped(_genuine(site))
    with TestClient(app) as client:
        page = client.get("/code", params=typed, headers=HTML)  # the help page's form, typed by hand
        assert page.status_code == 200 and 'data-typed="check"' in page.text
        assert "请检查您输入的代码" in page.text and "0 与字母 O" in page.text
        assert "不是本平台签发" not in page.text and "疑似假冒" not in page.text
        retype = re.search(r'href="(/code\?[^"]*edit=1[^"]*)"', page.text)
        assert retype, page.text
        again = client.get(retype.group(1).replace("&amp;", "&"), headers=HTML)
        assert again.status_code == 200 and f'value="{typed["serial"]}"' in again.text

        scanned = client.get(forged, headers=HTML)
        assert "data-typed" not in scanned.text and "不是本平台签发" in scanned.text
        # The API's answer is the same as before: the fast path knows nothing of typing.
        assert client.get(forged, headers=JSON).json()["verdict"]["evidence"][0]["code"] == "check_failed"


def test_an_unknown_gtin_is_not_registered_here_not_a_failed_serial(app, site):
    path = "/01/09506000134352/10/ABC/21/" + "1" * 20
    with TestClient(app) as client:
        page = client.get(path, headers=HTML)
        assert page.status_code == 404
        assert "本平台未登记这个商品" in page.text and "序列号校验失败" not in page.text
        body = client.get(path, headers=JSON).json()
        assert body["verdict"]["evidence"][0]["code"] == "unknown_product"


def test_a_black_listed_importers_warning_sits_beside_the_verdict(app, site):
    url = next(u for note, u in site["scans"] if "grade D" in note)
    with TestClient(app) as client:
        page = client.get(_path(url), headers=HTML, follow_redirects=True).text
    verdict = page[page.index('<section class="verdict') : page.index("</section>")]
    assert 'data-field="importer-warning"' in verdict and "失信" in verdict
    assert "verdict-caution" in verdict and "verdict-genuine" not in verdict


def test_the_credit_report_shows_the_importers_insurance_and_one_money_format(app, db, site):
    from enterprises.models import Enterprise

    with db.read_session() as s:
        uscc = s.get(Enterprise, 1).uscc
    with TestClient(app) as client:
        page = client.get(f"/credit/{uscc}").text
    assert "暂无" not in page.split("质量保险")[1][:400]
    assert "¥5,000.00" in page and "CNY 5000.00" not in page


def test_tracking_codes_have_no_look_alikes_and_a_wrong_one_gets_help(app, db, settings, site):
    from complaints import service as complaints
    from complaints.schemas import IntakeIn

    tokens = {complaints.new_token() for _ in range(200)}
    assert not set("".join(tokens)) & set("O0Il1oi-_")
    kit = complaints.Kit.from_settings(settings)
    with db.transaction() as s:
        _, token, _ = complaints.intake(
            s,
            kit,
            IntakeIn(
                code=_genuine(site),
                category="quality",
                narrative="奶粉结块，冲调后有异味。",
                wanted="refund",
                contact="13800000009",
            ),
            [],
        )
    assert not set(token) & set("O0Il1oi-_")
    with TestClient(app) as client:
        assert client.get(f"/complaints/track?token={token}").status_code == 200
        short = client.get("/complaints/track?token=ABC")
        assert short.status_code == 422 and 'data-problem="bad_token"' in short.text
        assert "Invalid input" not in short.text and "查询码" in short.text
        # A code issued before (URL-safe base64, look-alikes and all) still opens its case.
        old = "Ol1_-" + "x" * 27
        with db.transaction() as s:
            from complaints.models import Complaint

            case = complaints.by_token(s, token)
            row = s.get(Complaint, case.id)
            row.token_hash = complaints.token_hash(old)
            s.add(row)
        assert client.get(f"/complaints/track?token={old}").status_code == 200
        unknown = client.get(f"/complaints/track?token={'A' * 34}")
        assert unknown.status_code == 404 and 'data-problem="unknown_token"' in unknown.text
        assert f'value="{"A" * 34}"' in unknown.text


def test_a_case_the_insurer_paid_first_does_not_read_both_under_way_and_paid(app, db, settings, site):
    from complaints import service as complaints
    from complaints.models import Complaint
    from complaints.schemas import IntakeIn

    kit = complaints.Kit.from_settings(settings)
    with db.transaction() as s:
        c, token, _ = complaints.intake(
            s,
            kit,
            IntakeIn(
                code=site["insured"]["claimed_scan"],  # the demo's unit with a paid claim
                category="quality",
                narrative="奶粉结块，保险公司已经赔付。",
                wanted="compensation",
                contact="13800000010",
            ),
            [],
        )
        # 先行赔付: the case waits for the regulator to record the payment and close it.
        row = s.get(Complaint, c.id)
        row.status = "compensation_due"
        s.add(row)
    with TestClient(app) as client:
        page = client.get(f"/complaints/track?token={token}").text
    assert 'data-status="paid"' in page  # the claim
    assert not ("先行赔付中" in page and "已赔付" in page.replace("已先行赔付", ""))
    assert "保险公司已先行赔付，等待结案" in page
