"""A kiln test fixture."""
ANSWER = 41
