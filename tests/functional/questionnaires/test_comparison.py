"""The comparison of one question and the grid: those who answered first, the others once;
the counts by regional group (table and charts) from the answers a reader may see only."""

from __future__ import annotations

import pytest

from tests.support.questionnaires import respond, seeded_questionnaire
from tests.support.tables import states_by_group, svg_images, tables

# Written from the States data file, not from the platform: the groups these States are in.
GROUP_OF = {"FRA": "Western European and other States", "DEU": "Western European and other "
            "States", "SEN": "African States", "JPN": "Asia-Pacific States",
            "BRA": "Latin American and Caribbean States", "POL": "Eastern European States"}
GROUPS = ["African States", "Asia-Pacific States", "Eastern European States",
          "Latin American and Caribbean States", "Western European and other States"]
# D.3 (yes / partly / no): each State's answer, and what becomes of its response.
ANSWERS = {
    "FRA": ("yes", "accept", False),
    "DEU": ("partly", "accept", False),
    "SEN": ("yes", "accept", False),
    "JPN": ("no", "accept", False),
    "BRA": ("yes", "accept", True),  # "Secretariat only": never counted for a peer
    "POL": ("no", "submit", False),  # submitted, not accepted: the Secretariat's alone
}
OPTIONS = ("Yes", "Partly", "No")


@pytest.fixture
def answered(app, make_user):
    """Six States' responses as ANSWERS says; returns the questionnaire's id and a reader of
    another State (Portugal), who has not answered."""
    qid = seeded_questionnaire(app)
    moderator = make_user(role="moderator", state=None)
    for iso3, (value, fate, secretariat_only) in ANSWERS.items():
        fields = {"D.3.value": value, **({"D.3.secretariat_only": "y"} if secretariat_only
                                         else {})}
        respond(app, make_user(state=iso3).id, qid, fields,
                accepted_by=moderator.id if fate == "accept" else None)
    return qid


def _expected(reader: str) -> dict[str, list[int]]:
    """{group: [yes, partly, no, not answered]} counted here from ANSWERS and the data file."""
    seen = {iso3: value for iso3, (value, fate, hidden) in ANSWERS.items()
            if reader == "secretariat" or (fate == "accept" and not hidden)}
    counts = {}
    for group, members in states_by_group(withdrawn=reader == "secretariat").items():
        row = [sum(1 for s in members if seen.get(s) == code) for code in ("yes", "partly", "no")]
        counts[group] = row + [len(members) - sum(row)]
    return counts


def _counts_table(html: str) -> dict[str, list[int]]:
    (table,) = tables(html, "counts")
    header, *rows = table
    assert header[1:] == [*OPTIONS, "Not answered yet"]
    return {row[0]: [int(n) for n in row[1:]] for row in rows}


@pytest.mark.parametrize("reader", ["peer", "secretariat"])
def test_the_counts_by_regional_group_are_those_of_the_answers_the_reader_may_see(
        app, answered, logged_in, reader):
    client, _ = (logged_in("focal_point", "PRT") if reader == "peer"
                 else logged_in("moderator", None))
    page = client.get(f"/questionnaires/{answered}/compare/D.3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expected = _expected(reader)
    shown = _counts_table(html)
    totals = [sum(column) for column in zip(*expected.values(), strict=True)]
    assert shown == {**{g: expected[g] for g in GROUPS}, "Every regional group": totals}
    # The charts draw the same counts: every bar says its option and its number.
    overall, by_group = svg_images(html)
    for label, count in zip(OPTIONS, totals, strict=False):
        assert f"{label}: {count}<" in overall
    for label, column in zip(OPTIONS, zip(*(expected[g] for g in GROUPS), strict=True),
                             strict=False):
        drawn = [int(n) for n in _labels(by_group, label)]
        assert sorted(drawn) == sorted(column)
    assert "<script" not in overall + by_group


def _labels(svg: str, label: str) -> list[str]:
    import re

    return re.findall(rf"<text [^>]*class=\"label\">{label}: (\d+)<", svg)


def test_those_who_answered_come_first_and_the_others_once(app, answered, logged_in):
    client, _ = logged_in("focal_point", "PRT")
    html = client.get(f"/questionnaires/{answered}/compare/D.3").get_data(as_text=True)
    visible = {"FRA", "DEU", "SEN", "JPN"}
    parties = sum(len(m) for m in states_by_group().values())
    assert "4 States answered" in html
    assert html.count('class="not-answered"') == 1
    assert f"Not answered yet: {parties - len(visible)} States" in html
    # One row per State that answered, and no "Not answered" row anywhere.
    (rows,) = tables(html, "answered-states")
    assert {row[0] for row in rows[1:]} == {"France", "Germany", "Senegal", "Japan"}
    assert "Not answered</span>" not in html

    only_answered = client.get(f"/questionnaires/{answered}/compare/D.3?show=answered")
    assert 'class="not-answered"' not in only_answered.get_data(as_text=True)
    # Within one regional group: its States only, counted again.
    weog = client.get(f"/questionnaires/{answered}/compare/D.3?group=WEOG").get_data(
        as_text=True)
    members = states_by_group()["Western European and other States"]
    assert f"Not answered yet: {len(members) - 2} States" in weog
    assert _counts_table(weog) == {"Western European and other States":
                                   [1, 1, 0, len(members) - 2]}


def test_a_bad_show_filter_is_refused_with_a_message(app, answered, logged_in):
    client, _ = logged_in("focal_point", "PRT")
    for path in (f"/questionnaires/{answered}/compare/D.3?show=everything",
                 f"/questionnaires/{answered}/grid?q=D.3&show=1"):
        page = client.get(path)
        assert page.status_code == 400
        assert "Choose whether to show every State" in page.get_data(as_text=True)


def test_an_open_question_has_no_chart_and_a_question_nobody_answered_says_so(
        app, answered, logged_in):
    client, _ = logged_in("focal_point", "PRT")
    open_question = client.get(f"/questionnaires/{answered}/compare/D.7").get_data(
        as_text=True)
    assert svg_images(open_question) == []
    assert tables(open_question, "counts") == []
    unanswered = client.get(f"/questionnaires/{answered}/compare/E.1").get_data(as_text=True)
    assert svg_images(unanswered) == []
    assert "No answer you may read can be counted yet." in unanswered


def test_the_grid_has_rows_for_those_who_answered_and_headers_that_say_the_question(
        app, answered, logged_in):
    client, _ = logged_in("focal_point", "PRT")
    html = client.get(f"/questionnaires/{answered}/grid?q=D.3&q=E.1").get_data(as_text=True)
    parties = sum(len(m) for m in states_by_group().values())
    assert "4 States answered at least one of these questions" in html
    assert html.count('class="not-answered"') == 1
    assert f"Not answered yet: {parties - 4} States" in html
    (grid,) = tables(html, "grid")
    assert {row[0] for row in grid[1:]} == {"France", "Germany", "Senegal", "Japan"}
    # The question's words head its column, not only its key (seed questionnaire's D.3).
    assert grid[0][1].startswith("D.3 Can assets be frozen urgently")
    assert "before the full request arrives?" in grid[0][1]  # the full text, on focus


def _statuses(html: str) -> dict[str, str]:
    import re

    items = re.findall(r'<li><a href="[^"]+">([^<]+)</a>(?: — [^<]*)? — <span class="status-'
                       r'[a-z]+">([^<]+)</span></li>', html)
    return dict(items)


def test_the_overview_says_what_each_reader_may_know_of_each_response(app, answered,
                                                                       logged_in):
    peer, _ = logged_in("focal_point", "PRT")
    shown = _statuses(peer.get(f"/questionnaires/{answered}/").get_data(as_text=True))
    # Peers learn whether answers were accepted, never of a draft or a submission.
    assert {s: shown[s] for s in ("France", "Brazil", "Poland", "Portugal", "Chile")} == {
        "France": "answers accepted", "Brazil": "answers accepted",
        "Poland": "no accepted answers", "Portugal": "no response",
        "Chile": "no accepted answers"}
    secretariat, _ = logged_in("moderator", None)
    shown = _statuses(secretariat.get(f"/questionnaires/{answered}/").get_data(as_text=True))
    assert {s: shown[s] for s in ("France", "Poland", "Chile")} == {
        "France": "accepted", "Poland": "submitted", "Chile": "no response"}
    assert "Hungary" in shown  # withdrawn: the Secretariat still sees it


def test_the_pages_ask_the_database_as_often_for_two_states_as_for_six(app, make_user,
                                                                        logged_in):
    from tests.functional.core.test_page_statements import statements

    qid = seeded_questionnaire(app)
    moderator = make_user(role="moderator", state=None)
    reader, _ = logged_in("focal_point", "PRT")
    pages = [f"/questionnaires/{qid}/compare/D.3", f"/questionnaires/{qid}/grid?q=D.3&q=B.1",
             f"/questionnaires/{qid}/", "/states/FRA"]
    counted = []
    for batch in (("FRA", "DEU"), ("SEN", "JPN", "BRA", "POL")):
        for iso3 in batch:
            respond(app, make_user(state=iso3).id, qid, accepted_by=moderator.id)
        row = []
        for path in pages:
            reader.get(path)  # the first request after a change warms the session's caches
            with statements(app) as seen:
                assert reader.get(path).status_code == 200
            row.append(len(seen))
        counted.append(row)
    assert counted[0] == counted[1], dict(zip(pages, zip(*counted, strict=True), strict=True))


@pytest.mark.parametrize("reader", ["peer", "secretariat"])
def test_the_xlsx_summary_has_the_same_counts_and_a_native_chart(app, answered, logged_in,
                                                                  reader):
    import io

    import openpyxl

    client, _ = (logged_in("focal_point", "PRT") if reader == "peer"
                 else logged_in("moderator", None))
    page = client.get(f"/questionnaires/{answered}/compare/D.3/export.xlsx")
    assert page.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(page.get_data()))
    rows = [list(r) for r in book["Summary"].iter_rows(values_only=True)]
    assert rows[0] == ["Question key", "Question", "Answer", *GROUPS, "Every regional group"]
    expected = _expected(reader)
    table = {row[2]: row[3:] for row in rows[1:] if row and row[0] == "D.3"}
    for i, label in enumerate([*OPTIONS, "Not answered yet"]):
        per_group = [expected[g][i] for g in GROUPS]
        assert table[label] == [*per_group, sum(per_group)], label
    (chart,) = book["Summary"]._charts  # one native chart for the one closed question
    assert len(chart.series) == len(GROUPS)
    # The answers sheet leaves out the States without an answer the reader may see.
    answers = [r for r in book["Answers"].iter_rows(values_only=True)][1:]
    seen = {iso3 for iso3, (_v, fate, hidden) in ANSWERS.items()
            if reader == "secretariat" or (fate == "accept" and not hidden)}
    assert {r[0] for r in answers} == seen
