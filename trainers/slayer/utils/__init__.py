"""SLAYER utilities (lava-dl's ``slayer.utils`` API).

* ``quantize`` (and ``MODE`` when defined): weight/parameter quantization, from ``.quantize``;
* ``time``: ``replicate`` / ``shift`` along the time axis;
* ``filter``: causal FIR / exponential / PSP filters on ``(..., T)`` tensors;
* ``LearningStats``: loss/accuracy bookkeeping, printing, saving and plots;
* ``Assistant``: one call per batch for train / test / valid.
"""

from . import filter, time
from .assistant import Assistant
from .stats import LearningStat, LearningStats

__all__ = ["time", "filter", "LearningStat", "LearningStats", "Assistant"]

try:  # ``.quantize`` belongs to the slayer core; tolerate its absence while it is written.
    from .quantize import quantize  # noqa: F401  (the function, as in lava-dl)
    __all__.insert(0, "quantize")
except ModuleNotFoundError as _err:  # pragma: no cover - only while the core is incomplete
    if _err.name != __name__ + ".quantize":
        raise
except ImportError:  # the module exists but names its function differently: expose the module
    from . import quantize  # noqa: F401
    __all__.insert(0, "quantize")
try:
    from .quantize import MODE  # noqa: F401
    __all__.append("MODE")
except ImportError:
    pass
