"""Bulk import of branches from CSV: idempotent by code, a bad row reported by line number."""

from __future__ import annotations

import httpx

from registry.imports import parse_opening_hours
from registry.testing import Registry

CSV = """code,name,district,address,opening_hours,volunteer_spaces,contact_email
bielany-1,Biblioteka Publiczna im. Stanisława Staszica,bielany,"ul. Żeromskiego 2, Warszawa",\
1-5 10:00-19:00; 6 9:00-15:00,4,bielany@example.pl
wola-12,Wypożyczalnia dla Dorosłych i Młodzieży nr 12,wola,ul. Młynarska 1,,2,
zla-1,Filia w nieznanej dzielnicy,atlantyda,ul. Morska 1,,0,
wola-13,Biblioteka dla Dzieci i Młodzieży nr 13,wola,ul. Wolska 7,8 10:00-12:00,1,

mokotow-3,Wypożyczalnia nr 3,mokotow,ul. Puławska 3,,-1,zły-adres
"""


async def _import(registry: Registry, text: str) -> httpx.Response:
    return await registry.client.post(
        "/v1/branches/import",
        content=text.encode(),
        headers={**registry.auth(), "content-type": "text/csv; charset=utf-8"},
    )


async def test_import_reports_bad_rows_by_line_and_imports_the_rest(registry: Registry) -> None:
    response = await _import(registry, CSV)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] == ["bielany-1", "wola-12"]
    lines = {error["line"]: error for error in result["errors"]}
    assert sorted(lines) == [4, 5, 7]
    assert lines[4]["code"] == "zla-1" and "unknown district 'atlantyda'" in lines[4]["errors"][0]
    assert "'8 10:00-12:00' is not like '1-5 10:00-19:00'" in lines[5]["errors"][0]
    assert len(lines[7]["errors"]) == 2  # volunteer_spaces and contact_email

    bielany = await registry.call("GET", "/v1/branches/bielany-1")
    assert bielany["name"] == "Biblioteka Publiczna im. Stanisława Staszica"
    assert bielany["address"] == "ul. Żeromskiego 2, Warszawa"
    assert [h["weekday"] for h in bielany["opening_hours"]] == [1, 2, 3, 4, 5, 6]
    assert bielany["opening_hours"][-1] == {"weekday": 6, "opens": "09:00", "closes": "15:00"}

    # The same file again: nothing new, nothing changed, no events.
    events_before = await registry.platform.fetchval("SELECT count(*) FROM registry.outbox")
    again = (await _import(registry, CSV)).json()
    assert again["created"] == [] and again["updated"] == []
    assert again["unchanged"] == ["bielany-1", "wola-12"]
    assert await registry.platform.fetchval("SELECT count(*) FROM registry.outbox") == (
        events_before
    )
    assert await registry.platform.fetchval("SELECT count(*) FROM registry.branches") == 2

    # A changed row updates its branch; semicolons (as Polish spreadsheets save) work too.
    changed = "code;name;district;address\nwola-12;Wypożyczalnia nr 12;wola;ul. Młynarska 1\n"
    result = (await _import(registry, changed)).json()
    assert result["updated"] == ["wola-12"] and result["errors"] == []


async def test_a_file_that_cannot_be_read_imports_nothing(registry: Registry) -> None:
    not_utf8 = await registry.client.post(
        "/v1/branches/import",
        content="code,name,district,address\nwola-1,Wypożyczalnia,wola,ul. X\n".encode("cp1250"),
        headers={**registry.auth(), "content-type": "text/csv"},
    )
    assert not_utf8.status_code == 422
    assert "save it as 'CSV UTF-8'" in not_utf8.json()["detail"]
    columns = await _import(registry, "kod,nazwa\nwola-1,X\n")
    assert columns.status_code == 422
    assert "missing column(s) code, name, district, address" in columns.json()["detail"]
    wrong_type = await registry.client.post(
        "/v1/branches/import", json={"code": "x"}, headers=registry.auth()
    )
    assert wrong_type.status_code == 415
    assert await registry.platform.fetchval("SELECT count(*) FROM registry.branches") == 0


def test_opening_hours_are_read_from_day_ranges() -> None:
    assert parse_opening_hours("1-2 8:00-16:00; 7 10:00-14:00") == [
        {"weekday": 1, "opens": "08:00", "closes": "16:00"},
        {"weekday": 2, "opens": "08:00", "closes": "16:00"},
        {"weekday": 7, "opens": "10:00", "closes": "14:00"},
    ]
