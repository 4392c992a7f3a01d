"""The credit report PDF as a reader sees it (read back with poppler's pdftotext): every English word in
its tables printed whole, never split across lines inside a cell ("gener al"), Chinese wrapped, pages
numbered, and the records table's header repeated on every page it runs over."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

from core.clock import utcnow
from credit import service as credit
from credit.report import report_pdf
from tests.conftest import missing, register

# Long English words in narrow columns: the kind (28 mm) and severity (19 mm) names come from the
# methodology ("一般 general", "质量保险理赔 Quality-insurance claim paid"), the titles from people.
TITLES = [
    "Unsatisfactory documentation: misrepresentation of internationally standardised characteristics",
    "进口化妆品中文标签不规范 Counterfeiting investigation, extraordinarily comprehensive",
    "消费者投诉商品与描述不符，投诉成立，商家未在规定期限内答复消费者并提供解决方案",
]


def pdftotext(data: bytes, tmp_path: Path, *args: str) -> str:
    if not shutil.which("pdftotext"):
        missing("pdftotext", "apt-get install poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def report_with_every_kind(db, records_per_kind: int = 1) -> tuple[dict, dict]:
    ent = register(db, name_zh="宁波北仑环球美妆贸易有限公司", name_en="Ningbo Beilun Global Beauty Trading")
    names = credit.display_names()
    severities = list(names["severities"])
    n = 0
    with db.transaction() as s:
        for _ in range(records_per_kind):
            for kind in names["kinds"]:
                credit.add_record(
                    s,
                    enterprise_id=ent.id,
                    kind=kind,
                    severity=severities[n % len(severities)],
                    occurred_at=utcnow() - timedelta(days=5 + n),
                    title_zh=TITLES[n % len(TITLES)],
                    source_type="manual",
                    source_key=f"report:{n}",
                    actor="test",
                    reason="测试",
                )
                n += 1
    with db.read_session() as s:
        return credit.public_report(s, ent.id), names


def test_no_english_word_is_broken_inside_a_table_cell(db, tmp_path):
    report, names = report_with_every_kind(db)
    text = pdftotext(report_pdf(report, names), tmp_path, "-layout")
    cells = [names["kinds"][r["kind"]] for r in report["records"]]
    cells += [names["severities"][r["severity"]] for r in report["records"]]
    cells += [r["title_zh"] for r in report["records"]]
    words = {w for cell in cells for w in re.findall(r"[A-Za-z]{2,}", cell)}
    assert {"General", "Serious", "Minor", "Commendation", "extraordinarily"} <= words
    broken = sorted(w for w in words if not re.search(rf"(?<![A-Za-z]){w}(?![A-Za-z])", text))
    assert broken == [], f"words split inside a cell: {broken}\n{text}"
    # "Quality-insurance" may break after its hyphen, and only there
    assert re.search(r"Quality-(insurance|\s*$)", text, re.M)


def test_the_report_keeps_its_content_and_numbers_its_pages(db, tmp_path):
    report, names = report_with_every_kind(db, records_per_kind=6)
    data = report_pdf(report, names)
    pages = pdftotext(data, tmp_path).split("\f")[:-1]  # reading order: a cell's lines one after another
    assert len(pages) >= 2, "the records should run over a page"
    for number, page in enumerate(pages, 1):
        assert f"第 {number} 页，共 {len(pages)} 页 · Page {number} of {len(pages)}" in page
    # every page the records table reaches shows its header row again
    with_records = [page for page in pages if re.search(r"^\s*\d{4}-\d{2}-\d{2}\s", page, re.M)]
    assert len(with_records) >= 2 and all("内容 Record" in page for page in with_records)
    squeezed = re.sub(r"\s+", "", "".join(pages))
    ent = report["enterprise"]
    for expected in (
        "企业信用报告·Creditreport",
        ent["uscc"],
        re.sub(r"\s+", "", ent["name_en"]),
        f"{report['grade']}{report['grade_name_zh']}/{report['grade_name_en']}",
        "近365天投诉成立",
        "暂无保险信息Noinsuranceinformationyet.",
        "Thisreportfollowsthepublished",
    ):
        assert expected in squeezed, expected
    # Chinese titles wrap inside their cell, character by character, and still read back whole
    assert squeezed.count(re.sub(r"\s+", "", TITLES[2])) == sum(
        r["title_zh"] == TITLES[2] for r in report["records"]
    )
    path = tmp_path / "report.pdf"
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"^Title:\s+Credit report {ent['uscc']}$", info, re.M)
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    assert re.search(r"WenQuanYiZenHei\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes", fonts), fonts
