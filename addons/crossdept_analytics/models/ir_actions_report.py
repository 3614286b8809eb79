import functools
import io
import subprocess

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from odoo import models
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

REVIEW_REPORT = "crossdept_analytics.report_process_review"
# a font every PDF reader has, and one for Chinese (a CID font: no file to ship)
LATIN_FONT = "Helvetica"
CJK_FONT = "STSong-Light"


@functools.cache
def wkhtmltopdf_draws_headers():
    """Whether the installed wkhtmltopdf prints HTML headers and footers: only its
    builds "with patched qt" do; Debian's does not, and leaves them out silently."""
    try:
        version = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "patched qt" in version.lower()


def _font_for(text):
    if all(ord(char) < 256 for char in text):
        return LATIN_FONT
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def stamp_pages(pdf, header_left, header_right, footer):
    """``pdf`` (bytes) with a one-line header and a footer drawn on every page;
    ``footer`` is formatted with ``page`` and ``pages``."""
    source = PdfFileReader(io.BytesIO(pdf), strict=False, overwriteWarnings=False)
    pages = source.getNumPages()
    packet = io.BytesIO()
    stamp = canvas.Canvas(packet)
    for index in range(pages):
        box = source.getPage(index).mediaBox
        width, height = float(abs(box.getWidth())), float(abs(box.getHeight()))
        stamp.setPageSize((width, height))
        stamp.setFillGray(0.35)
        margin = width * 0.05
        stamp.setFont(_font_for(header_left), 8)
        stamp.drawString(margin, height - 28, header_left)
        stamp.setFont(_font_for(header_right), 8)
        stamp.drawRightString(width - margin, height - 28, header_right)
        stamp.setStrokeGray(0.75)
        stamp.line(margin, height - 32, width - margin, height - 32)
        text = footer % {"page": index + 1, "pages": pages}
        stamp.setFont(_font_for(text), 8)
        stamp.drawCentredString(width / 2, 22, text)
        stamp.showPage()
    stamp.save()
    stamps = PdfFileReader(packet, overwriteWarnings=False)
    output = PdfFileWriter()
    for index in range(pages):
        page = source.getPage(index)
        page.mergePage(stamps.getPage(index))
        output.addPage(page)
    result = io.BytesIO()
    output.write(result)
    return result.getvalue()


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """The quarterly review has its header (company, title) and numbered pages
        with any wkhtmltopdf: where it cannot print HTML headers and footers (the
        builds without patched Qt, such as Debian's), they are drawn on the pages."""
        pdf, kind = super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        report = self._get_report(report_ref)
        if kind != "pdf" or report.report_name != REVIEW_REPORT or wkhtmltopdf_draws_headers():
            return pdf, kind
        companies = self.env["res.company"].browse(res_ids or []) or self.env.company
        pdf = stamp_pages(
            pdf,
            companies[:1].name,
            self.env._("Quarterly Process Review"),
            # "Page 1 of 3": %(page)s and %(pages)s are filled in per page
            self.env._("Page %(page)s of %(pages)s"),
        )
        return pdf, kind
