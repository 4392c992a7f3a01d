"""The printable credit report as a PDF (A4), from the same data as the HTML report page.

Set with the shared printing package's flow layout in its Chinese TrueType font (fonts-wqy-zenhei on
Debian), the same PDF writer and font the label sheets use. Table cells wrap Chinese anywhere and
English only between words, so "general" is never printed as "gener / al".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.workdays import CHINA_TZ
from printing.fonts import FontMissingError, faces
from printing.pdf import PT_PER_MM, FlowDocument, Style, TableStyle, Text, hex_color

__all__ = ["FontMissingError", "report_pdf"]

_MM = PT_PER_MM
_BODY = Style(size=9.5, leading=13)
_SMALL = Style(size=8, leading=11, color=hex_color("#555555"))
_H1 = Style(size=17, leading=22, space_after=4)
_H2 = Style(size=12, leading=16, space_before=10, space_after=4, keep_with_next=30)
_GRID = TableStyle(text=Style(size=8.5, leading=11))
_PLAIN_GRID = TableStyle(text=Style(size=8.5, leading=11), header_fill=None)


def _local(iso: str | None) -> str:
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def _footer(page: int, pages: int) -> str:
    return f"第 {page} 页，共 {pages} 页 · Page {page} of {pages}"


def report_pdf(report: dict[str, Any], names: dict[str, dict[str, str]]) -> bytes:
    """`report` is credit.service.public_report(); `names` the kinds' and statuses' display names.
    Raises FontMissingError when no Chinese TrueType font is installed."""
    text_face, _ = faces()
    doc = FlowDocument(text_face, footer=_footer)
    _heading(doc, report)
    _grade(doc, report)
    _dimensions(doc, report)
    _registration(doc, report)
    _records(doc, report, names)
    _complaints_and_insurance(doc, report)
    doc.spacer(6 * _MM)
    doc.paragraph(
        "本报告依据 CrossTrust 公示的信用评价方法生成，评分随记录衰减每日更新。"
        "This report follows the published CrossTrust credit methodology; scores are recomputed daily.",
        _SMALL,
    )
    return doc.to_bytes(title=f"Credit report {report['enterprise']['uscc']}", author="CrossTrust")


def _heading(doc: FlowDocument, report: dict[str, Any]) -> None:
    ent = report["enterprise"]
    doc.paragraph("企业信用报告 · Credit report", _H1)
    doc.paragraph(f"{ent['name_zh']}  {ent['name_en']}")
    doc.paragraph(f"统一社会信用代码 USCC：{ent['uscc']}", _SMALL)
    doc.paragraph(
        f"生成时间 Generated：{_local(report['as_of'])}（北京时间）· 评价方法 Methodology {report['methodology_version']}",
        _SMALL,
    )
    doc.spacer(4 * _MM)


def _grade(doc: FlowDocument, report: dict[str, Any]) -> None:
    """The grade, the score and the list; the main reasons."""
    doc.paragraph("信用等级 Grade", _H2)
    doc.table(
        [
            ["等级 Grade", "评分 Score", "名单 List"],
            [
                f"{report['grade']}  {report['grade_name_zh']} / {report['grade_name_en']}",
                f"{report['score']:g} / 1000",
                {"red": "红名单 Red list", "black": "黑名单 Black list"}.get(report["list"] or "", "—"),
            ],
        ],
        [70 * _MM, 45 * _MM, 55 * _MM],
        style=_GRID,
    )
    if report["reasons"]:
        doc.paragraph("主要原因 Main reasons", _H2)
        doc.table(
            [["原因 Reason", "记录数 Records", "分值 Points"]]
            + [
                [f"{r['name_zh']} {r['name_en']}", str(r["records"]), f"{r['points']:+g}"]
                for r in report["reasons"]
            ],
            [100 * _MM, 35 * _MM, 35 * _MM],
            style=_GRID,
        )
    else:
        doc.paragraph("无扣分记录 No deductions.")


def _dimensions(doc: FlowDocument, report: dict[str, Any]) -> None:
    dims = report["dimension_names"]
    doc.paragraph("分项得分 Dimensions", _H2)
    doc.table(
        [["维度 Dimension", "得分 Points", "满分 Max"]]
        + [
            [f"{dims[k]['zh']} {dims[k]['en']}", f"{v:g}", str(dims[k]["max"])]
            for k, v in report["dimensions"].items()
        ],
        [100 * _MM, 35 * _MM, 35 * _MM],
        style=_GRID,
    )


def _registration(doc: FlowDocument, report: dict[str, Any]) -> None:
    reg = report.get("registration") or {}
    doc.paragraph("登记信息 Registration", _H2)
    doc.table(
        [
            ["海关注册编码 Customs code", reg.get("customs_code") or "—"],
            ["国家 Country", reg.get("country") or "—"],
            ["经营状态 Status", reg.get("status") or "—"],
        ],
        [60 * _MM, 110 * _MM],
        header_rows=0,
        style=_PLAIN_GRID,
    )


def _records(doc: FlowDocument, report: dict[str, Any], names: dict[str, dict[str, str]]) -> None:
    doc.paragraph("公示记录 Public records", _H2)
    if not report["records"]:
        doc.paragraph("无公示中的信用记录 No records in publication.")
        return
    rows: list[list[str | Text]] = [["日期 Date", "类别 Kind", "程度", "内容 Record", "状态", "分值"]]
    for r in report["records"]:
        rows.append(
            [
                _local(r["occurred_at"]),
                Text(names["kinds"].get(r["kind"], r["kind"]), _SMALL),
                Text(names["severities"].get(r["severity"], r["severity"]), _SMALL),
                Text(r["title_zh"], _SMALL),
                Text(names["statuses"].get(r["status"], r["status"]), _SMALL),
                f"{r['points_now']:+g}",
            ]
        )
    doc.table(rows, [21 * _MM, 28 * _MM, 19 * _MM, 70 * _MM, 20 * _MM, 16 * _MM], style=_GRID)


def _complaints_and_insurance(doc: FlowDocument, report: dict[str, Any]) -> None:
    c = report.get("complaints")
    doc.paragraph("投诉情况 Complaints", _H2)
    doc.paragraph(
        f"近 {c['days']} 天投诉成立 {c['upheld']} 件，超期答复 {c['answered_late']} 件。"
        f" Last {c['days']} days: {c['upheld']} complaints upheld, {c['answered_late']} answered late."
        if c
        else "—"
    )
    doc.paragraph("质量保险 Quality insurance", _H2)
    doc.paragraph(
        report["insurance"]["summary"]
        if report.get("insurance")
        else "暂无保险信息 No insurance information yet."
    )
