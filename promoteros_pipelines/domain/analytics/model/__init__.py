"""The viral model: features from signal histories, labels from what happened next, training.

Pure (polars, numpy, scikit-learn): the model store that saves and loads files lives with the
analytics assets.
"""
