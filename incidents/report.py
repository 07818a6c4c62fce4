"""X5: the regulator report of a security incident, as a PDF written in Simplified Chinese.

The items are the policy's ("the types, reasons and potential hazards ..., the disposal measures we
have taken ..., suggestions ..., remedial measures ..., our contact information") plus the
timeline and the counts. Chinese is typeset with WenQuanYi Micro Hei, the font file shipped inside
the `paperang-p2-fonts-cjk` package (nothing is downloaded at run time); fpdf2 embeds only the
subset of glyphs the report uses. Chinese lines break between any two characters (Chinese has no
spaces to break at) but never before closing punctuation; other text breaks between words.
"""
from __future__ import annotations

import importlib.resources
from functools import lru_cache

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, WrapMode, XPos, YPos

FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"
REPORT_LANGUAGE = "zh-hans"
# Chinese line-breaking rules (GB/T 15834, kinsoku): these never begin a line. A line that would
# begin with one keeps it at the end of the line before (hanging punctuation), as Chinese
# typesetting does.
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…%,.;:?!)]}")


@lru_cache(maxsize=1)
def font_path() -> str:
    """The CJK font file inside its package (a TrueType collection; face 0 is Micro Hei)."""
    return str(importlib.resources.files(FONT_PACKAGE).joinpath(FONT_FILE))


def _wrap(text: str) -> WrapMode:
    # Chinese breaks between any two characters; text without CJK breaks between words.
    return WrapMode.CHAR if any("\u2e80" <= character <= "\u9fff" or "\uff00" <= character <= "\uffef"
                                for character in text) else WrapMode.WORD


def _hang_punctuation(lines: list[str]) -> list[str]:
    kept: list[str] = []
    for line in lines:
        while kept and line and line[0] in NO_LINE_START:
            kept[-1] += line[0]
            line = line[1:]
        if line or not kept:
            kept.append(line)
    return kept


def _paragraph(pdf: FPDF, height: float, text: str) -> None:
    """`text` over the full width, broken as Chinese is (between characters, punctuation never
    starting a line) or, without Chinese, between words."""
    for paragraph in text.split("\n"):
        wrap = _wrap(paragraph)
        lines = pdf.multi_cell(0, height, paragraph, wrapmode=wrap, dry_run=True, output=MethodReturnValue.LINES)
        for line in _hang_punctuation(lines) if wrap == WrapMode.CHAR else lines:
            pdf.cell(0, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def render(incident, *, enterprise_title: str, timeline: list, enterprises: list) -> bytes:
    """The report's PDF bytes. `enterprises`: (name, affected, reached, unreachable) per affected
    enterprise of a platform incident (empty for an enterprise's own)."""
    with translation.override(REPORT_LANGUAGE):
        return _render(incident, enterprise_title=enterprise_title, timeline=timeline, enterprises=enterprises)


def _render(incident, *, enterprise_title, timeline, enterprises) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"{incident.reference}")
    pdf.set_creator("incidents.report")
    pdf.add_font(FONT_NAME, fname=font_path(), collection_font_number=0)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font(FONT_NAME, size=size)
        _paragraph(pdf, size * 0.6, text)
        pdf.ln(1.5)

    def item(label: str, value) -> None:
        pdf.set_font(FONT_NAME, size=10)
        pdf.set_text_color(90, 90, 90)
        _paragraph(pdf, 6, label)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT_NAME, size=11)
        _paragraph(pdf, 6.5, str(value) if value not in (None, "") else "—")
        pdf.ln(2)

    heading(_("Personal information security incident report"), size=16)
    item(_("Reference"), incident.reference)
    item(_("Reported by"), enterprise_title)
    item(_("Title"), incident.title)
    item(_("Type"), incident.get_kind_display())
    item(_("Occurred on"), incident.occurred_on.isoformat() if incident.occurred_on else "")
    item(_("Opened"), _when(incident.opened_at))
    item(_("Cause"), incident.cause)
    item(_("Possible harm"), incident.possible_harm)
    item(_("Measures taken"), incident.measures_taken)
    item(_("Advice to individuals"), incident.advice)
    item(_("Remedies"), incident.remedies)
    item(_("Contact"), incident.contact)
    item(_("Affected people"), incident.get_audience_display())

    heading(_("Counts"))
    item(_("Affected people"), incident.affected_count)
    item(_("Reached by e-mail or text message"), incident.reached_count)
    item(_("Could not be reached"), incident.unreachable_count)
    item(_("Guardians of minors told"), incident.guardians_told)
    item(_("Public announcement"), _when(incident.announced_at) if incident.announced_at else _("none needed"))
    for name, affected, reached, unreachable in enterprises:
        item(name, _("%(affected)d affected, %(reached)d reached, %(unreachable)d could not be reached") % {
            "affected": affected, "reached": reached, "unreachable": unreachable})

    heading(_("Timeline"))
    pdf.set_font(FONT_NAME, size=10)
    for step in timeline:
        line = f"{_when(step.at)}  {step.label}  {step.actor_label}" + (f"  {step.note}" if step.note else "")
        _paragraph(pdf, 6, line)
    return bytes(pdf.output())
