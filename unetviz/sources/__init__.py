"""Importers: foreign files (nnU-Net plans, MONAI bundles) read into a UNetConfig plus what was assumed."""
