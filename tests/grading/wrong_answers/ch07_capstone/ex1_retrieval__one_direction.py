# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Counts only the first member of each pair as a query.
def retrieval_at_1(embeddings, pairs):
    unit = torch.nn.functional.normalize(embeddings.double(), dim=1)
    similarity = unit @ unit.T
    similarity.fill_diagonal_(-float("inf"))
    nearest = similarity.argmax(dim=1)
    return sum(int(nearest[i] == j) for i, j in pairs) / len(pairs)
