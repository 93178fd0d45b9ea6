# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Compares rows by dot product: a long row becomes everybody's nearest neighbour.
def retrieval_at_1(embeddings, pairs):
    similarity = embeddings.double() @ embeddings.double().T
    similarity.fill_diagonal_(-float("inf"))
    nearest = similarity.argmax(dim=1)
    hits = sum(int(nearest[i] == j) + int(nearest[j] == i) for i, j in pairs)
    return hits / (2 * len(pairs))
