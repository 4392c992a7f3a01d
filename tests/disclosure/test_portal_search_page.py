"""The portal's search page (/disclosures), on both search backends: words with highlights, filters and
their exclusions, facets in words (enterprise names, not codes), the trend, deep paging, downloads."""

import re
from html import unescape

from tests.conftest import register


def _page(client, **params):
    r = client.get("/disclosures", params=params)
    assert r.status_code == 200, r.text
    return r.text


def _hits(html: str) -> list[str]:
    return re.findall(r'data-enterprise="([^"]+)"', html)


def test_search_page_finds_highlights_filters_excludes_and_names_facets(client, db, dispatcher):
    a = register(db, name_zh="宁波甬澳母婴用品进出口有限公司", name_en="Ningbo Yong-Ao Baby")
    b = register(db, name_zh="宁波海曙母婴跨境贸易有限公司", name_en="Haishu Baby Trade")
    dispatcher.drain()

    html = _page(client, q="母婴")
    assert set(_hits(html)) == {a.uscc, b.uscc}
    assert "<mark>母婴</mark>" in html
    # facets name the enterprise, not its code, and the category in words
    uscc_facet = html[html.index('data-facet="uscc"') :]
    uscc_facet = uscc_facet[: uscc_facet.index("</section>")]
    assert "宁波甬澳母婴用品进出口有限公司" in uscc_facet and f">{a.uscc}<" not in uscc_facet
    assert "主体信息 Entity" in html
    assert 'rel="canonical"' in html and "/disclosures" in html

    # a filter, and its "not" form, as the facet links make them
    only_a = _page(client, q="母婴", uscc=a.uscc)
    assert set(_hits(only_a)) == {a.uscc}
    not_a = _page(client, q="母婴", not_uscc=a.uscc)
    assert a.uscc not in _hits(not_a) and b.uscc in _hits(not_a)
    assert f'data-filter="not_uscc={a.uscc}"' in not_a and "不含" in not_a
    link = unescape(re.search(r'href="([^"]+)" class="not" data-not="' + a.uscc, html).group(1))
    assert f"not_uscc={a.uscc}" in link
    assert set(_hits(client.get(link).text)) == {b.uscc}
    # the facet of a filtered field still counts the other values (CFPB: a facet ignores its own filter)
    assert "宁波海曙母婴跨境贸易有限公司" in only_a[only_a.index('data-facet="uscc"') :]

    # a category filter and its exclusion
    no_entity = _page(client, q="母婴", not_category="entity")
    hits = no_entity[no_entity.index('data-section="hits"') :]
    assert _hits(no_entity) and '<span class="badge">主体信息' not in hits
    ents = _page(client, q="母婴", category="entity")
    assert set(_hits(ents)) == {a.uscc, b.uscc}
    assert set(_hits(_page(client, q="母婴", category="entity", not_category="entity"))) == set()

    # the trend is an inline SVG chart; downloads are the public export and search of the same query
    # the trend (a pass over every match) is drawn when asked for, from the page's own link
    assert "<svg" not in html
    trend_href = unescape(re.search(r'href="([^"]+)" data-link="trend"', html).group(1))
    assert "trend=month" in trend_href and "q=" in trend_href
    with_trend = client.get(trend_href).text
    assert '<svg class="chart" data-chart="bars"' in with_trend and "按月 By month" in with_trend
    assert "按周 By week" in _page(client, q="母婴", trend="week")
    csv_href = unescape(re.search(r'href="([^"]+)" data-download="csv"', only_a).group(1))
    assert csv_href.startswith("/api/v1/public/disclosures/export?") and f"uscc={a.uscc}" in csv_href
    exported = client.get(csv_href)
    assert exported.status_code == 200 and "甬澳" in exported.text and "海曙" not in exported.text
    json_href = unescape(re.search(r'href="([^"]+)" data-download="json"', only_a).group(1))
    assert {h["uscc"] for h in client.get(json_href).json()["hits"]} == {a.uscc}


def test_search_page_pages_deep_with_search_after(client, db, dispatcher):
    made = {register(db, name_zh=f"宁波翻页测试贸易有限公司{i:02d}").uscc for i in range(25)}
    dispatcher.drain()
    seen: list[str] = []
    html = _page(client, q="翻页测试", category="entity", sort="date")
    pages = 0
    while True:
        pages += 1
        seen += _hits(html)
        nxt = re.search(r'href="([^"]+)" data-link="next"', html)
        if not nxt:
            break
        href = unescape(nxt.group(1))
        assert "search_after=" in href
        html = client.get(href).text
    assert pages == 2 and len(seen) == 25 and set(seen) == made


def test_search_page_bad_input_is_a_page_naming_the_field(client):
    r = client.get("/disclosures", params={"date_from": "2026-13-01"})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    assert "date_from" in r.text
    r = client.get("/disclosures", params={"category": "gossip"})
    assert r.status_code == 422 and "category" in r.text
    r = client.get("/disclosures", params={"search_after": "forged"})
    assert 400 <= r.status_code < 500 and "search_after" in r.text
