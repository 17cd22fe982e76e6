"""Exports of answers: CSV and XLSX, long and wide, with the codebook and metadata; cells
that a spreadsheet would run as formulas are neutralised; each export is audited; bad
parameters are refused. Which answers may appear is the visibility matrix's business
(test_visibility.py); here the files' contents are checked cell by cell."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from sqlalchemy import select

from coop_platform.audit.models import AuditEvent
from coop_platform.extensions import db
from tests.support import builders
from tests.support.questionnaires import (
    answer_required,
    seeded_questionnaire,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Headers of the long layout, in English, as the issue describes them (State × question).
LONG_HEADER = ["State code", "State", "Regional group", "Response status", "Question key",
               "Question", "Answer", "Answer codes", "Remarks", "Content language",
               "Last confirmed", "Secretariat only"]
HOSTILE = {
    "=HYPERLINK(\"http://evil.example\",\"x\")": "'=HYPERLINK(\"http://evil.example\",\"x\")",
    "+1+cmd|' /C calc'!A0": "'+1+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(1+1)": "'@SUM(1+1)",
}

# Formulas behind the separators a spreadsheet may split a CSV line on (`;` in French and
# most European locales, `,`, tab): the probe's "see annex;=cmd|' /C calc'!A0".
SEPARATED = "see annex;=cmd|' /C calc'!A0, also,+1+1 and\t@SUM(1)"
FORMULA_STARTS = ("=", "+", "-", "@")


@pytest.fixture
def world(app, logged_in):
    """France answered and accepted, with a formula-looking remark and a number; Senegal's
    answer is a draft."""
    qid = seeded_questionnaire(app)
    fra, fra_user = logged_in("focal_point", "FRA")
    sen, sen_user = logged_in("focal_point", "SEN")
    _, moderator = logged_in("moderator", None)
    # Built through the services (the pages that save, submit and decide have their journeys).
    answer_required(fra, qid)
    builders.save_answers(app, fra_user.id, qid, "B", {
        "B.5.value": "=HYPERLINK(\"http://evil.example\",\"x\")", "B.5.remarks": "@SUM(1+1)"})
    builders.save_answers(app, fra_user.id, qid, "D", {
        "D.3.value": "yes", "D.4.value": "30", "D.4.remarks": SEPARATED})
    builders.save_answers(app, fra_user.id, qid, "B", {
        "B.1.value": "yes", "B.2.instrument": "Code de procédure pénale",
        "B.2.article": "Articles 627 to 627-20", "B.2.since": "2002-02-26"})
    builders.submit(app, fra_user.id, qid)
    builders.decide(app, moderator.id, "FRA", qid, "accept")
    answer_required(sen, qid)
    builders.save_answers(app, sen_user.id, qid, "B", {"B.5.value": "Senegal's unsubmitted draft"})
    reader, user = logged_in("focal_point", "JPN")
    return qid, reader, user


def _book(page):
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    assert page.mimetype == XLSX
    return openpyxl.load_workbook(io.BytesIO(page.get_data()))


def _rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _csv(page) -> list[list[str]]:
    assert page.status_code == 200
    assert page.mimetype == "text/csv"
    raw = page.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the accents
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_xlsx_of_a_comparison_has_answers_codebook_and_metadata(world):
    qid, reader, user = world
    page = reader.get(f"/questionnaires/{qid}/compare/B.3/export.xlsx?layout=long&group=WEOG")
    assert "attachment" in page.headers["Content-Disposition"]
    assert page.headers["Cache-Control"] == "no-store"
    book = _book(page)
    assert book.sheetnames == ["Answers", "Summary", "Codebook", "Metadata"]
    answers = _rows(book["Answers"])
    assert answers[0] == LONG_HEADER
    france = [r for r in answers if r[0] == "FRA"]
    assert len(france) == 1
    assert france[0][1:8] == ["France", "Western European and other States", "Accepted",
                              "B.3", france[0][5], "Yes", "yes"]
    assert france[0][5].startswith("Can requests under article 93(1)(k) be executed")
    assert france[0][9] == "English"
    assert france[0][11] == "no"
    # The group filter applies: only WEOG States, Senegal (AFR) and Japan (APS) absent.
    assert {r[2] for r in answers[1:]} == {"Western European and other States"}
    codebook = _rows(book["Codebook"])
    assert codebook[1][0] == "B.3"
    assert codebook[1][3].startswith("Can requests under article 93(1)(k)")
    assert codebook[1][4].startswith("Les demandes fondées sur l'article 93-1-k")
    assert codebook[1][5] == "yes = Yes / Oui | partly = Partly / En partie | no = No / Non"
    meta = dict(_rows(book["Metadata"])[1:])
    assert meta["Exported by"] == user.email
    assert meta["Role"] == "Focal point"
    assert meta["State of the exporter"] == "JPN"
    assert meta["Source"] == "Comparison of one question"
    assert meta["Filters"] == "question=B.3; group=WEOG"
    assert meta["Family and version"] == "cooperation v1"


def test_cells_starting_like_a_formula_are_neutralised(world):
    qid, reader, _ = world
    book = _book(reader.get(f"/questionnaires/{qid}/states/FRA/export.xlsx?layout=long"))
    ws = book["Answers"]
    header = [c.value for c in ws[1]]
    answer, remarks = header.index("Answer"), header.index("Remarks")
    b5 = next(row for row in ws.iter_rows() if row[4].value == "B.5")
    for cell in (b5[answer], b5[remarks]):
        assert cell.data_type == "s"  # text, never a formula
        assert cell.value in HOSTILE.values()
    assert b5[answer].value == HOSTILE['=HYPERLINK("http://evil.example","x")']
    assert b5[remarks].value == HOSTILE["@SUM(1+1)"]
    rows = _csv(reader.get(f"/questionnaires/{qid}/states/FRA/export.csv?layout=long"))
    b5 = next(r for r in rows if r[4] == "B.5")
    assert (b5[answer], b5[remarks]) == (HOSTILE['=HYPERLINK("http://evil.example","x")'],
                                         HOSTILE["@SUM(1+1)"])
    for text in rows[1:]:
        for value in text:
            assert value[:1] not in ("=", "+", "-", "@")


def test_no_csv_cell_starts_a_formula_whatever_separator_the_spreadsheet_splits_on(world):
    qid, reader, _ = world
    page = reader.get(f"/questionnaires/{qid}/states/FRA/export.csv?layout=long")
    assert page.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    raw = page.get_data().decode("utf-8-sig")
    rows = _csv(page)
    d4 = next(r for r in rows if r[4] == "D.4")
    assert d4[rows[0].index("Remarks")] == "see annex;'=cmd|' /C calc'!A0, also,'+1+1 and\t'@SUM(1)"
    for line in raw.split("\r\n")[:-1]:
        # Every field quoted: a spreadsheet keeps a quoted field whole, whatever it splits on.
        assert line.startswith('"'), line
        assert line.endswith('"'), line
        for separator in (",", ";", "\t"):
            # A reader that honours the quotes, and one that splits on every separator.
            cells = next(csv.reader([line], delimiter=separator))
            for cell in cells + line.split(separator):
                assert not cell.lstrip('"').startswith(FORMULA_STARTS), (separator, cell)


def test_numbers_stay_numbers_and_the_wide_layout_has_one_row_per_state(world):
    qid, reader, _ = world
    book = _book(reader.get(f"/questionnaires/{qid}/grid/export.xlsx?q=D.3&q=D.4&layout=wide"))
    rows = _rows(book["Answers"])
    assert rows[0] == ["State code", "State", "Regional group", "Response status", "D.3",
                       "D.3 remarks", "D.3 last confirmed", "D.4", "D.4 remarks",
                       "D.4 last confirmed"]
    # Only the States with an answer the reader may see: France's accepted response.
    assert [r[0] for r in rows[1:]] == ["FRA"]
    france = rows[1]
    assert france[4] == "Yes"
    assert france[7] == "30 days"
    every = _rows(_book(reader.get(
        f"/questionnaires/{qid}/grid/export.xlsx?q=D.3&q=D.4&layout=wide&states=all"))[
        "Answers"])
    iso3s = [r[0] for r in every[1:]]
    # Every State of the reference list once, but Hungary, whose withdrawal took effect.
    assert len(iso3s) == len(set(iso3s)) == 124
    assert "HUN" not in iso3s
    assert next(r for r in every if r[0] == "SEN")[3] == "No accepted answers"
    long = _rows(_book(reader.get(
        f"/questionnaires/{qid}/grid/export.xlsx?q=D.4&layout=long&states=all"))["Answers"])
    d4 = next(r for r in long if r[0] == "FRA")
    assert d4[7] == 30
    assert isinstance(d4[7], int | float)
    assert [r[0] for r in long[1:]] == iso3s  # same States, same order


def test_csv_parts_codebook_and_metadata(world):
    qid, reader, user = world
    base = f"/questionnaires/{qid}/compare/A.3/export.csv"
    codebook = _csv(reader.get(f"{base}?part=codebook"))
    assert codebook[0][:3] == ["Question key", "Section", "Type"]
    assert codebook[1][0] == "A.3"
    assert "central_authority = Central authority / Autorité centrale" in codebook[1][5]
    meta = dict(_csv(reader.get(f"{base}?part=metadata"))[1:])
    assert meta["Exported by"] == user.email
    assert 'filename=spc-cooperation-v1-comparison-A_3-long-' in \
        reader.get(base).headers["Content-Disposition"]


def test_a_french_reader_gets_french_headers_and_labels(world, app):
    qid, reader, _ = world
    page = reader.get(f"/questionnaires/{qid}/compare/B.3/export.csv",
                      headers={"Accept-Language": "fr"})
    rows = _csv(page)
    assert rows[0][:5] == ["Code de l'État", "État", "Groupe régional",
                           "Statut de la réponse", "Clé de la question"]
    france = next(r for r in rows if r[0] == "FRA")
    assert france[3] == "Acceptée"
    assert france[6] == "Oui"


def test_hidden_answers_never_reach_a_peer_export(world):
    qid, reader, _ = world
    for path in (f"/questionnaires/{qid}/export.csv?layout=wide",
                 f"/questionnaires/{qid}/compare/B.5/export.csv"):
        text = reader.get(path).get_data(as_text=True)
        assert "HYPERLINK" in text  # France's accepted answer is there
        assert "Senegal's unsubmitted draft" not in text
    assert reader.get(f"/questionnaires/{qid}/states/SEN/export.csv").status_code == 200
    assert "unsubmitted" not in reader.get(
        f"/questionnaires/{qid}/states/SEN/export.csv").get_data(as_text=True)


def test_each_export_and_print_is_audited(app, world):
    qid, reader, user = world
    reader.get(f"/questionnaires/{qid}/grid/export.xlsx?q=A.3&q=B.3&group=WEOG&layout=wide")
    reader.get(f"/questionnaires/{qid}/states/FRA/print")
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "questionnaire.exported").order_by(AuditEvent.seq)))
        details = [json.loads(e.details) for e in events]  # sealed: opened with the keys
        db.session.remove()
    assert [e.actor_id for e in events] == [user.id, user.id]
    grid = details[0]
    # One WEOG State answered (France); the others are left out of the file by default.
    assert grid == {"source": "grid", "format": "xlsx", "layout": "wide", "part": "answers",
                    "filters": {"questions": "A.3 B.3", "group": "WEOG"}, "states": 1,
                    "questions": 2, "every_state": False}
    assert details[1]["format"] == "print"
    assert events[1].object_id == qid


def test_the_printable_page_shows_every_answer_in_full(world):
    qid, reader, user = world
    page = reader.get(f"/questionnaires/{qid}/states/FRA/print")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)" in text  # escaped, whole
    assert "Remarks:" in text
    assert f"Printed by {user.email}" in text
    assert 'class="print-notice"' in text


@pytest.mark.parametrize(("path", "status"), [
    ("/compare/B.3/export.csv?layout=diagonal", 400),
    ("/compare/B.3/export.xlsx?part=codebook", 400),
    ("/compare/B.3/export.csv?part=secrets", 400),
    ("/compare/B.3/export.csv?group=NOWHERE", 400),
    ("/compare/B.3/export.csv?value=maybe", 400),
    ("/compare/B.3/export.csv?states=some", 400),
    ("/compare/Z.9/export.csv", 404),
    ("/compare/B.3/export.pdf", 404),
    ("/grid/export.csv", 400),
    ("/grid/export.csv?q=B.3&q=Z.9", 400),
    ("/grid/export.csv?" + "&".join(f"q=A.{i}" for i in range(1, 7))
     + "&" + "&".join(f"q=B.{i}" for i in range(1, 6)), 400),
    ("/states/XXX/export.csv", 404),
    ("/states/XXX/print", 404),
])
def test_bad_export_parameters_are_refused(world, path, status):
    qid, reader, _ = world
    page = reader.get(f"/questionnaires/{qid}{path}")
    assert page.status_code == status
    assert page.mimetype == "text/html"


def test_nobody_signed_out_exports(app, world):
    qid, _, _ = world
    page = app.test_client().get(f"/questionnaires/{qid}/export.xlsx")
    assert page.status_code == 302
    assert "/auth/login" in page.headers["Location"]


def _by_header(rows: list[list]) -> list[dict]:
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_each_row_says_its_response_status_as_the_reader_may_know_it(world, logged_in):
    qid, reader, _ = world
    path = f"/questionnaires/{qid}/export.xlsx?layout=wide&states=all"
    peer = {r["State code"]: r["Response status"]
            for r in _by_header(_rows(_book(reader.get(path))["Answers"]))}
    # A peer learns whether answers were accepted; Senegal's draft stays unknown to Japan.
    assert (peer["FRA"], peer["SEN"], peer["JPN"]) == (
        "Accepted", "No accepted answers", "No response")
    secretariat, _ = logged_in("moderator", None)
    known = {r["State code"]: r["Response status"]
             for r in _by_header(_rows(_book(secretariat.get(path))["Answers"]))}
    assert (known["FRA"], known["SEN"], known["JPN"]) == (
        "Accepted", "Being prepared", "No response")


def test_dates_are_date_cells_and_compound_answers_have_named_columns(world):
    from datetime import UTC, datetime

    qid, reader, _ = world
    long = _by_header(_rows(_book(reader.get(
        f"/questionnaires/{qid}/states/FRA/export.xlsx?layout=long"))["Answers"]))
    contact = next(r for r in long if r["Question key"] == "A.1")
    assert contact["Authority or office"] == "Ministry of Justice"
    assert contact["E-mail"] == "icc@justice.example.org"
    law = next(r for r in long if r["Question key"] == "B.2")
    assert (law["Instrument"], law["Article"]) == ("Code de procédure pénale",
                                                   "Articles 627 to 627-20")
    assert law["In force since"] == datetime(2002, 2, 26)  # a date cell, not text
    assert law["Authority or office"] is None  # a contact's column, empty on a law's row
    answered = [r for r in long if r["Answer"]]
    assert all(isinstance(r["Last confirmed"], datetime) for r in answered)
    assert {r["Last confirmed"].date() for r in answered} == {datetime.now(UTC).date()}
    assert not any(str(v).startswith("{") for r in long for v in r.values())  # no JSON
    wide = _by_header(_rows(_book(reader.get(
        f"/questionnaires/{qid}/states/FRA/export.xlsx?layout=wide"))["Answers"]))
    assert wide[0]["A.1 Authority or office"] == "Ministry of Justice"
    assert wide[0]["B.2 In force since"] == datetime(2002, 2, 26)
    book = _book(reader.get(f"/questionnaires/{qid}/states/FRA/export.xlsx"))
    meta = dict(_rows(book["Metadata"])[1:])
    assert isinstance(meta["Exported at (UTC)"], datetime)
    rows = _csv(reader.get(f"/questionnaires/{qid}/states/FRA/export.csv?layout=long"))
    law = next(dict(zip(rows[0], r, strict=True)) for r in rows if r[4] == "B.2")
    assert law["In force since"] == "2002-02-26"  # ISO 8601 in CSV
