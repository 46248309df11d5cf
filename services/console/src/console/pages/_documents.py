"""What the coordinator's and the volunteer's agreement pages share: sending the signed
copy on to matching, and saying why a file was refused in the page's language."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from console.api import ApiClient, ApiError
from console.i18n import N_
from console.pages._common import flash_refusal
from console.web import flash

# Matching refuses larger files; reading one byte more is enough to say so here.
MAX_SIGNED_COPY_BYTES = 5 * 1024 * 1024
UPLOAD_FIELD = "plik"

# Matching's reasons (``errors[].reason`` of its problem) as a person reads them.
REFUSALS = {
    "empty": N_("Plik jest pusty. Wybierz zeskanowane, podpisane porozumienie w PDF."),
    "too_large": N_(
        "Plik jest za duży: najwyżej 5 MB. Zeskanuj porozumienie w mniejszej rozdzielczości."
    ),
    "not_pdf": N_("To nie jest plik PDF. Zeskanuj podpisane porozumienie do pliku PDF."),
    "truncated": N_("Plik PDF jest niekompletny. Zapisz go ponownie i wyślij jeszcze raz."),
    "damaged": N_("Plik PDF jest uszkodzony i nie da się go otworzyć. Zeskanuj go ponownie."),
}
NO_FILE = N_("Wybierz plik PDF z podpisanym porozumieniem.")
NOT_SAVED = N_("Nie zapisano podpisanego porozumienia.")
SAVED = N_("Zapisano podpisane porozumienie: porozumienie jest podpisane.")


async def send_signed_copy(request: Request, api: ApiClient, agreement_id: str) -> bool:
    """The file from the form on to matching; a message either way (nothing changes when
    the file is refused)."""
    form = await request.form()
    upload = form.get(UPLOAD_FIELD)
    if not isinstance(upload, UploadFile) or not upload.filename:
        flash(request, NO_FILE, kind="error")
        return False
    content = await upload.read(MAX_SIGNED_COPY_BYTES + 1)
    if len(content) > MAX_SIGNED_COPY_BYTES:
        flash(request, REFUSALS["too_large"], kind="error")
        return False
    try:
        await api.request(
            "POST",
            "matching",
            f"/v1/agreements/{agreement_id}/signed-copy",
            content=content,
            headers={"content-type": "application/pdf"},
        )
    except ApiError as error:
        if error.status == 401:
            raise
        reason = next((item.get("reason") for item in error.errors if item.get("reason")), None)
        if isinstance(reason, str) and reason in REFUSALS:
            flash(request, REFUSALS[reason], kind="error")
        else:
            flash_refusal(request, error, NOT_SAVED)
        return False
    flash(request, SAVED, kind="success")
    return True
