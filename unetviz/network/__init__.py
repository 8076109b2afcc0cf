"""The real PyTorch model, its trace and the torchinfo cross-check (torch loads here)."""
