import torch


def accuracy(model, loader):
    """Divides by num_batches * batch_size, as if every batch were full."""
    model.eval()
    correct, num_batches, batch_size = 0, 0, None
    with torch.no_grad():
        for inputs, labels in loader:
            if batch_size is None:
                batch_size = labels.shape[0]
            correct += (model(inputs).argmax(dim=-1) == labels).sum().item()
            num_batches += 1
    model.train()
    return correct / (num_batches * batch_size)
