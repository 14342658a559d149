"""The compiler's one exception type."""

from __future__ import annotations

from typing import Optional


class CompileError(ValueError):
    """A network cannot be mapped onto the chosen hardware.

    The message names the layer, the limit, what is needed and what is available, e.g.
    ``layer 3 (dense): limit 'input_axons': needed 5000, available 4096 (...)``.

    Attributes:
        layer: index of the offending layer (``None`` for a whole-network problem).
        limit: name of the violated limit (``neurons``, ``synaptic_memory_bits``,
            ``input_axons``, ``output_axons`` or ``cores``).
        needed, available: the two numbers compared.
        path: the file being compiled, when known.
    """

    def __init__(self, reason: str, *, layer: Optional[int] = None, kind: Optional[str] = None,
                 limit: Optional[str] = None, needed: Optional[int] = None,
                 available: Optional[int] = None, path: Optional[str] = None) -> None:
        self.layer, self.kind, self.limit = layer, kind, limit
        self.needed, self.available, self.path, self.reason = needed, available, path, reason
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(str(self.path))
        if self.layer is not None:
            parts.append(f"layer {self.layer}" + (f" ({self.kind})" if self.kind else ""))
        if self.limit is not None:
            parts.append(f"limit '{self.limit}': needed {self.needed}, "
                         f"available {self.available}")
        parts.append(self.reason)
        return ": ".join(parts)

    def located(self, path: str) -> "CompileError":
        """A copy that also names the file."""
        return CompileError(self.reason, layer=self.layer, kind=self.kind, limit=self.limit,
                            needed=self.needed, available=self.available, path=path)
