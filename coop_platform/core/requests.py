"""The request class: file parts go only where a view has said they may go.

Werkzeug spools uploaded files to temporary files on disk, in plaintext. Here no file part is
accepted unless the view first installed an `upload_sink_factory` (documents stream theirs
through encryption into the blob store), so plaintext never touches the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from flask import Request
from werkzeug.exceptions import BadRequest


class PlatformRequest(Request):
    upload_sink_factory: Callable[..., IO[bytes]] | None = None

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> Any:
        if self.upload_sink_factory is None:
            raise BadRequest("This address does not accept files.")
        return self.upload_sink_factory(filename=filename, content_type=content_type)
