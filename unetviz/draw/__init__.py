"""Diagrams: the renderer-free graph, Graphviz rendering and the Qt-drawn PDF."""
