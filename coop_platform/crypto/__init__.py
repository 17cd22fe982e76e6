"""Key management: the one place that reads key files (see keyring.KeyRing)."""
