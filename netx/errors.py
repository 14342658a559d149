"""The one exception type for bad exchange-format input."""

from __future__ import annotations

from os import PathLike
from typing import Optional, Union


class NetxFormatError(ValueError):
    """A ``.net`` file (or an in-memory network model) breaks the exchange format.

    The message always says where: ``<file>: layer <i>: key '<key>': <what is wrong>``.
    The parts are also kept as attributes so callers (the CLI, the compiler) can use them.

    Attributes:
        path: the file, or ``None`` for an in-memory model.
        layer: index of the offending layer, or ``None`` for a file-level problem.
        key: the hdf5 key (e.g. ``'weight'`` or ``'neuron/vThMant'``), or ``None``.
        reason: the bare description, without the location prefix.
    """

    def __init__(self, reason: str, *, path: Optional[Union[str, PathLike]] = None,
                 layer: Optional[int] = None, key: Optional[str] = None) -> None:
        self.path = None if path is None else str(path)
        self.layer = layer
        self.key = key
        self.reason = reason
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = [self.path if self.path is not None else "<in-memory network>"]
        if self.layer is not None:
            where.append(f"layer {self.layer}")
        if self.key is not None:
            where.append(f"key '{self.key}'")
        return ": ".join(where + [self.reason])

    def located(self, *, path=None, layer=None, key=None) -> "NetxFormatError":
        """A copy with missing location parts filled in (existing parts win)."""
        return NetxFormatError(
            self.reason,
            path=self.path if self.path is not None else path,
            layer=self.layer if self.layer is not None else layer,
            key=self.key if self.key is not None else key,
        )
