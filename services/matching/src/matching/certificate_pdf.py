"""Rendering the certificate (zaświadczenie) as a PDF with a font that has Polish glyphs."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fpdf import FPDF

from matching.domain.agreements import CertificateFacts, certificate_lines


@cache
def dejavu_sans() -> Path:
    """DejaVu Sans as shipped inside matplotlib's package data (no download, no system font)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib (which ships DejaVu Sans) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data/fonts/ttf/DejaVuSans.ttf"
    if not path.is_file():
        raise RuntimeError(f"DejaVu Sans not found at {path}")
    return path


def render_certificate(facts: CertificateFacts) -> bytes:
    date_line, title, subtitle, *body = certificate_lines(facts)
    pdf = FPDF(format="A4")
    pdf.set_title("Zaświadczenie o wykonywaniu świadczeń wolontariackich")
    pdf.set_creator("Wolontariat w bibliotekach m.st. Warszawy")
    pdf.add_font("DejaVu", "", str(dejavu_sans()))
    pdf.add_page()
    pdf.set_font("DejaVu", size=11)
    pdf.cell(0, 8, date_line, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("DejaVu", size=18)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=12)
    pdf.cell(0, 8, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("DejaVu", size=11)
    for paragraph in body:
        pdf.multi_cell(0, 7, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())
