"""The public portal in Chromium at phone width (390 px): a visitor searches, opens an enterprise, then the
zone's figures. Every page: axe-core finds nothing serious or critical, no request leaves the platform's
origin, and the page with its CSS weighs under 60 KB. Screenshots are kept in the test's tmp dir."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from api import seeding
from tests.conftest import register
from tests.e2e import pages_kit
from tests.e2e.pages_kit import axe_check

BUDGET = 60 * 1024


def _seed(db, base: str) -> tuple[str, str]:
    a = register(db, name_zh="宁波甬澳母婴用品进出口有限公司", name_en="Ningbo Yong-Ao Baby Products")
    register(db, name_zh="宁波海曙母婴跨境贸易有限公司", name_en="Haishu Baby Trade")
    with db.transaction() as s:
        seeding.released_declaration(
            s,
            a.id,
            base,
            gtin="04001234500126",
            declaration_no="310420261000000001",
            lots=[("DE2611A0", 120)],
        )
    return a.uscc, a.name_zh


def _wait_for_index(base: str, q: str, want: int) -> None:
    deadline = time.monotonic() + 60  # the in-process dispatcher indexes within seconds
    while time.monotonic() < deadline:
        with urllib.request.urlopen(
            f"{base}/api/v1/public/disclosures/search?q={urllib.parse.quote(q)}"
        ) as r:
            if json.load(r)["total"]["value"] >= want:
                return
        time.sleep(0.2)
    raise AssertionError("the disclosures were not indexed")


def _weight(base: str, path: str) -> int:
    """The page's HTML and the CSS it links, in bytes as sent."""
    with urllib.request.urlopen(base + path) as r:
        html = r.read()
    total = len(html)
    for href in re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html):
        with urllib.request.urlopen(base + href.decode()) as r:
            total += len(r.read())
    return total


@pytest.fixture
def shots(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(pages_kit, "SHOTS", tmp_path / "screenshots")
    return tmp_path / "screenshots"


def test_a_visitor_searches_opens_an_enterprise_then_the_figures(live_server, page, shots):
    base, db, _ = live_server
    uscc, name = _seed(db, base)
    _wait_for_index(base, "母婴", 2)
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))

    page.goto(base + "/")
    axe_check(page, "portal-home")
    page.fill("#q", "母婴")
    page.click("#search button[type=submit]")
    page.wait_for_url("**/disclosures?q=*")
    assert page.locator("[data-hit]").count() >= 2
    assert page.locator("mark").first.text_content() == "母婴"
    assert name in page.locator('[data-facet="uscc"]').text_content()
    page.click('a[data-link="trend"]')
    page.wait_for_url("**trend=month*")
    assert page.locator('svg[data-chart="bars"]').count() == 1
    axe_check(page, "portal-search")

    page.click(f'[data-hit] a[data-enterprise="{uscc}"] >> nth=0')
    page.wait_for_url(f"**/enterprises/{uscc}")
    assert name in page.text_content("h1")
    assert page.locator('[data-section="grade"] [data-grade]').count() == 1
    axe_check(page, "portal-enterprise")

    page.click('nav.portal-nav a[href="/figures"]')
    page.wait_for_url("**/figures")
    assert page.text_content('[data-total="declarations"]').strip() == "1"
    assert page.locator('svg[data-chart="bars"]').count() == 4
    axe_check(page, "portal-figures")

    for path, name_ in (
        ("/lists/red", "portal-red"),
        ("/lists/black", "portal-black"),
        ("/code", "portal-code"),
    ):
        page.goto(base + path)
        axe_check(page, name_)

    foreign = [u for u in requests if not (u.startswith(base + "/") or u.startswith("data:"))]
    assert not foreign, foreign
    assert len(list(shots.glob("portal-*-phone.png"))) == 7
    for path in (
        "/",
        "/disclosures?q=母婴",
        "/disclosures?q=母婴&trend=month",
        f"/enterprises/{uscc}",
        "/figures",
        "/figures?interval=month",
        "/figures?periods=60",  # the longest windows the page offers
        "/figures?interval=month&periods=36",
        "/lists/red",
        "/lists/black",
        "/code",
    ):
        weight = _weight(base, urllib.parse.quote(path, safe="/?=&"))
        assert weight < BUDGET, (path, weight)


def test_a_photo_of_a_label_is_read_by_the_vendored_decoder(live_server, page, tmp_path):
    """Where no camera stream is allowed, a photo of the code is read by jsQR served by the platform."""
    from printing.qr import qr_png

    base, _, _ = live_server
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    link = "/01/04001234500126/10/DE2611A0/21/11603GMDDWMQ8QYD0K45?17=280314"
    photo = tmp_path / "label.png"
    photo.write_bytes(qr_png("https://resolver.example" + link, box_size=8))
    page.goto(base + "/code")
    page.set_input_files("#photo", str(photo))
    page.wait_for_url("**/01/04001234500126/**", timeout=20000)
    assert page.url == base + link
    assert base + "/static/vendor/jsQR.js" in requests
    assert all(u.startswith(base + "/") or u.startswith("blob:") for u in requests), requests
