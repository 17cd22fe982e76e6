"""The embedded index (Whoosh): its files and writers (index.py), its reading (backend.py)."""
