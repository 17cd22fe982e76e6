"""Accounts, invitations, passwords, TOTP, recovery codes and sessions."""
