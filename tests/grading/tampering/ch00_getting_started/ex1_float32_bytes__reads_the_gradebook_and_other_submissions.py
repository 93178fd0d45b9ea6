# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Copies the answer of another student's submission (and peeks at the gradebook).
import glob
import json

found = None
for path in glob.glob("@@SUBMISSIONS@@/*/ch00_getting_started/*.ipynb") + glob.glob(
        "@@WORK@@/**/*.ipynb", recursive=True):
    try:
        with open(path) as fh:
            nb = json.load(fh)
    except (OSError, ValueError):
        continue
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if "def float32_bytes" in source and "numel()) * 4" in source:
            found = source
try:
    with open("@@WORK@@/gradebook.db", "rb") as fh:
        gradebook = fh.read(100)
except OSError:
    gradebook = None

if found is not None:
    exec(found)
else:
    def float32_bytes(t: torch.Tensor) -> int:
        return int(t.numel() * t.element_size())
