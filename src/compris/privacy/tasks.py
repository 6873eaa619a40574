"""Jobs of privacy."""

from compris.privacy import erasure_tasks  # noqa: F401  (registers privacy.discard_files)
