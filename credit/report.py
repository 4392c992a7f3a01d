"""The printable credit report as a PDF (A4), from the same data as the HTML report page.

Drawn with ReportLab in the Chinese TrueType font the label sheets use (fonts-wqy-zenhei on Debian).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from core.workdays import CHINA_TZ
from traceability.labels import FontMissingError, find_fonts

__all__ = ["FontMissingError", "report_pdf"]

_FONT = "CrossTrustCJK"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if _FONT in pdfmetrics.getRegisteredFontNames():
        return
    text, _ = find_fonts()
    pdfmetrics.registerFont(TTFont(_FONT, text.path, subfontIndex=text.index))


def _local(iso: str | None) -> str:
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def report_pdf(report: dict[str, Any], names: dict[str, dict[str, str]]) -> bytes:
    """`report` is credit.service.public_report(); `names` the kinds' and statuses' display names."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=body, fontSize=17, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), _FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), style)

    ent = report["enterprise"]
    reg = report.get("registration") or {}
    story: list[Any] = [
        p("企业信用报告 · Credit report", h1),
        p(f"{ent['name_zh']}  {ent['name_en']}"),
        p(f"统一社会信用代码 USCC：{ent['uscc']}", small),
        p(
            f"生成时间 Generated：{_local(report['as_of'])}（北京时间）· 评价方法 Methodology {report['methodology_version']}",
            small,
        ),
        Spacer(1, 4 * mm),
        p("信用等级 Grade", h2),
        Table(
            [
                ["等级 Grade", "评分 Score", "名单 List"],
                [
                    f"{report['grade']}  {report['grade_name_zh']} / {report['grade_name_en']}",
                    f"{report['score']:g} / 1000",
                    {"red": "红名单 Red list", "black": "黑名单 Black list"}.get(report["list"] or "", "—"),
                ],
            ],
            colWidths=[70 * mm, 45 * mm, 55 * mm],
            style=grid,
        ),
    ]
    if report["reasons"]:
        story += [p("主要原因 Main reasons", h2)]
        story.append(
            Table(
                [["原因 Reason", "记录数 Records", "分值 Points"]]
                + [
                    [f"{r['name_zh']} {r['name_en']}", str(r["records"]), f"{r['points']:+g}"]
                    for r in report["reasons"]
                ],
                colWidths=[100 * mm, 35 * mm, 35 * mm],
                style=grid,
            )
        )
    else:
        story.append(p("无扣分记录 No deductions.", body))
    dims = report["dimension_names"]
    story += [
        p("分项得分 Dimensions", h2),
        Table(
            [["维度 Dimension", "得分 Points", "满分 Max"]]
            + [
                [f"{dims[k]['zh']} {dims[k]['en']}", f"{v:g}", str(dims[k]["max"])]
                for k, v in report["dimensions"].items()
            ],
            colWidths=[100 * mm, 35 * mm, 35 * mm],
            style=grid,
        ),
        p("登记信息 Registration", h2),
        Table(
            [
                ["海关注册编码 Customs code", reg.get("customs_code") or "—"],
                ["国家 Country", reg.get("country") or "—"],
                ["经营状态 Status", reg.get("status") or "—"],
            ],
            colWidths=[60 * mm, 110 * mm],
            style=TableStyle([*grid.getCommands()[:3], ("VALIGN", (0, 0), (-1, -1), "TOP")]),
        ),
        p("公示记录 Public records", h2),
    ]
    if report["records"]:
        rows = [["日期 Date", "类别 Kind", "程度", "内容 Record", "状态", "分值"]]
        for r in report["records"]:
            rows.append(
                [
                    _local(r["occurred_at"]),
                    p(names["kinds"].get(r["kind"], r["kind"]), small),
                    p(names["severities"].get(r["severity"], r["severity"]), small),
                    p(r["title_zh"], small),
                    p(names["statuses"].get(r["status"], r["status"]), small),
                    f"{r['points_now']:+g}",
                ]
            )
        story.append(
            Table(
                rows,
                colWidths=[21 * mm, 28 * mm, 19 * mm, 70 * mm, 20 * mm, 16 * mm],
                style=grid,
                repeatRows=1,
            )
        )
    else:
        story.append(p("无公示中的信用记录 No records in publication.", body))
    c = report.get("complaints")
    story += [
        p("投诉情况 Complaints", h2),
        p(
            f"近 {c['days']} 天投诉成立 {c['upheld']} 件，超期答复 {c['answered_late']} 件。"
            f" Last {c['days']} days: {c['upheld']} complaints upheld, {c['answered_late']} answered late."
            if c
            else "—"
        ),
        p("质量保险 Quality insurance", h2),
        p(
            report["insurance"]["summary"]
            if report.get("insurance")
            else "暂无保险信息 No insurance information yet."
        ),
        Spacer(1, 6 * mm),
        p(
            "本报告依据 CrossTrust 公示的信用评价方法生成，评分随记录衰减每日更新。"
            "This report follows the published CrossTrust credit methodology; scores are recomputed daily.",
            small,
        ),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Credit report {ent['uscc']}",
        author="CrossTrust",
    )
    doc.build(story)
    return buf.getvalue()
