"""Questionnaire pages: my State's response (answering), the reading pages (a response, the
comparison of one question, the grid), their exports, following and the directory. Each
module adds its routes to the blueprints of `common` when imported here."""

from coop_platform.questionnaires.views import answering, exports, following, reading
from coop_platform.questionnaires.views.common import bp, directory_bp
from coop_platform.questionnaires.views.exports import export_questionnaire
from coop_platform.questionnaires.views.following import directory_page
from coop_platform.questionnaires.views.reading import compare, grid

__all__ = ["answering", "bp", "compare", "directory_bp", "directory_page", "exports",
           "export_questionnaire", "following", "grid", "reading"]
