"""X5: the regulator report of a security incident, as a PDF written in Simplified Chinese.

The items are the policy's ("the types, reasons and potential hazards ..., the disposal measures we
have taken ..., suggestions ..., remedial measures ..., our contact information") plus the
timeline and the counts. Chinese is typeset with WenQuanYi Micro Hei, the font file shipped inside
the `paperang-p2-fonts-cjk` package (nothing is downloaded at run time); fpdf2 embeds only the
subset of glyphs the report uses, and breaks Chinese lines between any two characters (Chinese has
no spaces to break at), other text between words.
"""
from __future__ import annotations

import importlib.resources
from functools import lru_cache

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"
REPORT_LANGUAGE = "zh-hans"


@lru_cache(maxsize=1)
def font_path() -> str:
    """The CJK font file inside its package (a TrueType collection; face 0 is Micro Hei)."""
    return str(importlib.resources.files(FONT_PACKAGE).joinpath(FONT_FILE))


def _wrap(text: str) -> WrapMode:
    # Chinese breaks between any two characters; text without CJK breaks between words.
    return WrapMode.CHAR if any("\u2e80" <= character <= "\u9fff" or "\uff00" <= character <= "\uffef"
                                for character in text) else WrapMode.WORD


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
        pdf.multi_cell(0, size * 0.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=_wrap(text), align="L")
        pdf.ln(1.5)

    def item(label: str, value) -> None:
        pdf.set_font(FONT_NAME, size=10)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(0, 6, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT_NAME, size=11)
        shown = str(value) if value not in (None, "") else "—"
        pdf.multi_cell(0, 6.5, shown, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=_wrap(shown), align="L")
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
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=_wrap(line), align="L")
    return bytes(pdf.output())
