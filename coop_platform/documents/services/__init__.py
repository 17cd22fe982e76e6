"""Document services: the visibility rule, uploads, lifecycle, downloads, key rewrapping."""
