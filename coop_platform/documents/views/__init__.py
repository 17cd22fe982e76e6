"""Document pages, one module per concern; importing the package registers every route
on the blueprint."""

from coop_platform.documents.views import decisions, files, pages  # noqa: F401
from coop_platform.documents.views.common import bp

__all__ = ["bp"]
