"""Repository paths for the video tests (the root conftest is not importable as a module)."""
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
