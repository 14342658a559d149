"""Compiler passes over a ``.net`` network: quantize, partition, report.

>>> import compiler
>>> net, report = compiler.compile("m.net", profile="loihi2", output="m.c.net")  # doctest: +SKIP
>>> print(report.to_table())                                                  # doctest: +SKIP

Passes are functions ``pass(net: netx.spec.Network, profile) -> (net, report)``:
:func:`compiler.quantize.quantize` and :func:`compiler.partition.partition`.  No Lava import.
Note: ``compiler.compile`` is the function; its module is ``sys.modules['compiler.compile']``.
"""

from .errors import CompileError
from .compile import compile  # noqa: E402  (shadows the submodule name on purpose)

__all__ = ["CompileError", "compile"]
