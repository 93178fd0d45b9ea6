# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Forgets that a sentence is not its own neighbour: every query finds itself.
def retrieval_at_1(embeddings, pairs):
    unit = torch.nn.functional.normalize(embeddings.double(), dim=1)
    nearest = (unit @ unit.T).argmax(dim=1)
    hits = sum(int(nearest[i] == j) + int(nearest[j] == i) for i, j in pairs)
    return hits / (2 * len(pairs))
