"""``python -m compris.triage`` = ``compris triage``."""

from compris.triage.cli import app

if __name__ == "__main__":
    app()
