"""Training the expression model (needs the ``train`` extra: PyTorch).

Nothing in the live app imports this package.
"""
