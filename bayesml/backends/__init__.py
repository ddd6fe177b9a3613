"""Inference backends. Each backend turns a model description into results; none parses formulas."""
