"""The viral model: features from signal histories, labels from what happened next, a store."""
