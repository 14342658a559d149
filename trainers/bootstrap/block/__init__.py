"""Bootstrap blocks: generic mixin in ``base``, one family per neuron type (``cuba``)."""

from . import base, cuba

__all__ = ["base", "cuba"]
