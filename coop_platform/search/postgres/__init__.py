"""The index inside PostgreSQL: a tsvector per answer revision and per document, written in
the transaction that changes them (indexing.py), read with the visibility rules joined live
(backend.py)."""
