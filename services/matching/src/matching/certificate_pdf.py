"""Rendering the certificate (zaświadczenie) as a PDF with a font that has Polish glyphs."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from matching.domain.agreements import CertificateFacts, certificate_lines

# DejaVu Sans (free licence, every Polish glyph) travels inside the package: no download,
# no system font, no plotting library in the image just for its data files.
DEJAVU_SANS = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"


def render_certificate(facts: CertificateFacts) -> bytes:
    date_line, title, subtitle, *body = certificate_lines(facts)
    pdf = FPDF(format="A4")
    pdf.set_title("Zaświadczenie o wykonywaniu świadczeń wolontariackich")
    pdf.set_creator("Wolontariat w bibliotekach m.st. Warszawy")
    pdf.add_font("DejaVu", "", str(DEJAVU_SANS))
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
