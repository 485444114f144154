"""Delivery targets by name: the registry the `outbox deliver` command picks from."""
from .folder import DropFolder

TARGETS = {"folder": DropFolder}


def make(name, *args, **kwargs):
    """A target of the given kind."""
    return TARGETS[name](*args, **kwargs)
