import torch


def accuracy(model, loader):
    """Forgets model.eval(): dropout stays on during evaluation."""
    correct, counted = 0, 0
    with torch.no_grad():
        for inputs, labels in loader:
            correct += (model(inputs).argmax(dim=-1) == labels).sum().item()
            counted += labels.numel()
    return correct / counted
