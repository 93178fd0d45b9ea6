"""Every chapter that qtlib's docstrings name ("defined in ch02", "(ch05)") exists in solutions/."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAG = re.compile(r"\bch(\d\d)\b")


def test_every_chapter_tag_in_qtlib_names_an_existing_chapter():
    chapters = {p.name[:4] for p in (ROOT / "solutions").iterdir() if p.is_dir()}
    assert chapters, "solutions/ has no chapters"
    missing = []
    for path in sorted((ROOT / "qtlib").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in TAG.finditer(line):
                if f"ch{match.group(1)}" not in chapters:
                    missing.append(f"{path.relative_to(ROOT)}:{number}: ch{match.group(1)}")
    assert not missing, "tags name chapters that do not exist yet:\n" + "\n".join(missing)
