"""The summary sheet of an XLSX export: for each closed question, how many States chose each
answer, by regional group and in all, with a native chart of the same counts.

It counts the cells of the export, which come through the one visibility rule: a "Secretariat
only" answer is never counted in a peer's file, as on the comparison page.
"""

from __future__ import annotations

import math
from collections import defaultdict

from flask_babel import gettext as _

from coop_platform.core.spreadsheets import Chart, Sheet
from coop_platform.questionnaires.models import Question
from coop_platform.questionnaires.services.reading import Cell, counts
from coop_platform.states.models import REGIONAL_GROUPS, State

ROW_HEIGHT = 20  # px: a spreadsheet's default row
CHART_COLUMN = "J"


def summary_sheet(questions: list[Question], rows: list[tuple[State, list[Cell]]]
                  ) -> Sheet | None:
    """None when the export holds no closed question."""
    closed = [q for q in questions if q.is_closed]
    if not closed:
        return None
    groups = list(REGIONAL_GROUPS)
    sheet = Sheet(_("Summary"), [_("Question key"), _("Question"), _("Answer"),
                                 *(str(REGIONAL_GROUPS[g][1]) for g in groups),
                                 _("Every regional group")])
    # Each cell sorted once by question and group: a full export has thousands of cells.
    wanted = {q.key for q in closed}
    cells: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for state, row in rows:
        group = state.regional_group
        for cell in row:
            key = cell.question.key
            if key in wanted:
                cells[(key, group)].append(cell)
    for question in closed:
        by_group = {g: counts(question, cells[(question.key, g)]) for g in groups}
        first = len(sheet.rows) + 1  # the worksheet's row, under the header
        for code, label in [*question.options, ("none", _("Not answered yet"))]:
            numbers = [by_group[g].get(code, 0) for g in groups]
            sheet.rows.append([question.key, question.text, label, *numbers, sum(numbers)])
        last_option = first + len(question.options) - 1
        sheet.charts.append(Chart(
            title=f"{question.key} {question.text}", header_row=0, first=first,
            last=last_option, category_column=2, series=list(range(3, 3 + len(groups))),
            anchor=f"{CHART_COLUMN}{first + 1}"))
        # Rows enough under the block for its chart, so that charts never overlap.
        height = 90 + 28 * len(question.options)
        used = len(question.options) + 1
        sheet.rows.extend([] for _ in range(max(1, math.ceil(height / ROW_HEIGHT) - used + 1)))
    return sheet
