"""The pure core: intent model, observed-state model, evaluation.

No module below this package does I/O, reads a clock, or imports anything from
sprmon's adapters (collectors, exporters, CLI, lab); tests/test_architecture.py
enforces it.
"""
