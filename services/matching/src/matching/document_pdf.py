"""Rendering a document's blocks (``domain.documents``) as an A4 PDF, with the font the
certificate uses (DejaVu Sans has every Polish glyph)."""

from __future__ import annotations

from importlib.resources import files

from fpdf import FPDF

from matching.certificate_pdf import DEJAVU_SANS
from matching.domain.documents import Block, Kind, render_template

CREATOR = "Wolontariat w bibliotekach m.st. Warszawy"


def template(name: str) -> str:
    """A template shipped with matching (``documents/<name>.txt``)."""
    return files("matching").joinpath("documents", f"{name}.txt").read_text(encoding="utf-8")


def render_document(
    name: str, title: str, values: dict[str, str], conditions: dict[str, bool]
) -> bytes:
    return render_pdf(title, render_template(template(name), values, conditions))


def render_pdf(title: str, blocks: list[Block]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator(CREATOR)
    pdf.set_lang("pl")
    pdf.add_font("DejaVu", "", str(DEJAVU_SANS))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    for block in blocks:
        _block(pdf, block)
    return bytes(pdf.output())


def _block(pdf: FPDF, block: Block) -> None:
    if block.kind is Kind.TITLE:
        pdf.ln(4)
        pdf.set_font("DejaVu", size=16)
        pdf.multi_cell(0, 9, block.text, align="C", new_x="LMARGIN", new_y="NEXT")
    elif block.kind is Kind.SUBTITLE:
        pdf.set_font("DejaVu", size=11)
        pdf.multi_cell(0, 6, block.text, align="C", new_x="LMARGIN", new_y="NEXT")
    elif block.kind is Kind.HEADING:
        pdf.ln(3)
        if pdf.will_page_break(24):
            pdf.add_page()
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 7, block.text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    elif block.kind is Kind.ITEM:
        pdf.set_font("DejaVu", size=10.5)
        pdf.set_x(pdf.l_margin + 4)
        pdf.multi_cell(0, 5.5, f"– {block.text}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    elif block.kind is Kind.SIGNATURES:
        _signatures(pdf, block.labels)
    else:
        pdf.set_font("DejaVu", size=10.5)
        pdf.multi_cell(0, 5.5, block.text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)


def _signatures(pdf: FPDF, labels: list[str]) -> None:
    """A dotted line to sign on above each label, side by side."""
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(16)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(labels)
    pdf.set_font("DejaVu", size=10)
    for _ in labels:
        pdf.cell(width, 5, "……………………………………", align="C")
    pdf.ln(5)
    pdf.set_font("DejaVu", size=9)
    for label in labels:
        pdf.cell(width, 5, label, align="C")
    pdf.ln(8)
