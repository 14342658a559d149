"""``compiler.compile``: quantize then partition, optionally writing the result."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Tuple, Union

import hw_profiles
from hw_profiles import HwProfile
from netx import spec

from .errors import CompileError
from .partition import partition
from .quantize import quantize
from .report import CompileReport

PathType = Union[str, os.PathLike]


def compile(path_or_net: Union[PathType, spec.Network],
            profile: Union[str, PathType, HwProfile] = "loihi2",
            output: Optional[PathType] = None, *,
            force_quantize: bool = False,
            weight_exp: bool = True) -> Tuple[spec.Network, CompileReport]:
    """Compile a network for a hardware profile.

    Runs :func:`compiler.quantize.quantize` (float -> fixed point; fixed-point input passes
    through) and :func:`compiler.partition.partition` (neurons -> chips and cores).  The
    result carries ``extras['compiler']`` = ``{'profile', 'quantize', 'partition'}``, an extra
    hdf5 group that lava-dl readers ignore, so the written file still loads in netx.

    Args:
        path_or_net: a ``.net`` file or a :class:`netx.spec.Network`.
        profile: profile name (``loihi1``, ``loihi2``), TOML path, or :class:`HwProfile`.
        output: where to write the compiled ``.net`` (atomic, via :func:`netx.spec.write`).
        force_quantize: quantize even an already fixed-point network.
        weight_exp: let the quantizer choose per-layer weight exponents (stored as the
            neuron's ``wgtExp``); ``False`` keeps every exponent at 0.

    Returns:
        ``(compiled network, report)``.

    Raises:
        netx.errors.NetxFormatError: the input file is malformed.
        hw_profiles.ProfileError: the profile is malformed.
        CompileError: the network does not fit the hardware (names layer, limit, needed,
            available and the file).
    """
    prof = hw_profiles.load(profile)
    if isinstance(path_or_net, spec.Network):
        net = spec.validate(path_or_net)
        source = "<in-memory network>"
    else:
        source = str(path_or_net)
        net = spec.read(path_or_net)
    qnet, qrep = quantize(net, prof, force=force_quantize, weight_exp=weight_exp)
    try:
        pnet, prep = partition(qnet, prof)
    except CompileError as exc:
        if exc.path is None and source != "<in-memory network>":
            raise exc.located(source) from None
        raise
    if output is not None:
        spec.write(pnet, Path(output))
    return pnet, CompileReport(source=source, output=None if output is None else str(output),
                               quantize=qrep, partition=prep)
