"""What operators run on the server: key custody (keys_cli.py), backups (backup.py), the mail
sender (cli.py), and the check every command makes before it starts (cli_gate.py)."""
