import torch


def accuracy(model, loader):
    """Takes the argmax over dim 1, which is the class dimension only for [B, C] logits."""
    was_training = model.training
    model.eval()
    correct, counted = 0, 0
    with torch.no_grad():
        for inputs, labels in loader:
            correct += (model(inputs).argmax(dim=1) == labels).sum().item()
            counted += labels.numel()
    model.train(was_training)
    return correct / counted
