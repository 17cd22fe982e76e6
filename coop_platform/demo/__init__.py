"""Demo accounts, answers and documents for trying the portal locally; never in Production."""
