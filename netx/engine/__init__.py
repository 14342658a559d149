"""Batched executor of ``.net`` networks with Lava's semantics (see ``docs/engine.md``).

>>> from netx.engine import Engine
>>> out = Engine("mnist.net").run(spikes)      # doctest: +SKIP  (B, 10, T) in Lava layout
"""

from .core import AFFINE_NEURON, INPUT_MODES, MODES, Engine, EngineError, LayerTrace, to_internal, to_lava

__all__ = ["Engine", "EngineError", "LayerTrace", "MODES", "INPUT_MODES", "AFFINE_NEURON",
           "to_internal", "to_lava"]
