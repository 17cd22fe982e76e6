"""Keyed tokens: what the embedded index holds instead of words.

Every analysed term (stemmed, folded, as before) and every who-may-see token becomes a
truncated HMAC-SHA256 under the "index" key, salted with its field; a query's terms go through
the same analysis and the same function, so words, phrases (positions are kept), AND/OR/NOT,
stemming per language, field filters, facets and relevance work as before. Without keys/, the
index shows how often each unknown token occurs, which occur together and how large each
entry is — no word. Rotating the index key means rebuilding the index (`search reindex`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Callable

from coop_platform.extensions import keyring

PURPOSE = "index"
TOKEN_BYTES = 10  # 80 bits: no two of a corpus's terms collide (16 base32 characters)


def keyed(field: str, term: str, key_id: str | None = None) -> str:
    """The token that stands for `term` in `field`, under the active index key."""
    return keyer(field, key_id)(term)


def keyer(field: str, key_id: str | None = None) -> Callable[[str], str]:
    """`keyed` for many terms of one field: the key is looked up once, not per term (an
    index build keys millions of terms)."""
    ring = keyring()
    scope = f"{ring.directory}|{key_id or ring.active_id(PURPOSE)}"
    return functools.partial(_keyed, scope, field)


# Indexing a corpus asks for the same terms again and again; the cache lives in this
# process's memory only, where the clear terms already are while they are analysed.
# (Scoped by the key folder too: two instances in one process have two "index-0001" keys.)
@functools.lru_cache(maxsize=400_000)
def _keyed(scope: str, field: str, term: str) -> str:
    key_id = scope.rpartition("|")[2]
    digest = hmac.new(keyring().raw(key_id), f"{field}\x1f{term}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest[:TOKEN_BYTES]).decode("ascii").lower()
