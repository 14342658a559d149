"""Generic complex-synapse block for the resonate-and-fire families (``rf``, ``rf_iz``,
``adrf``, ``adrf_iz``): ``ComplexDense``, generated per neuron by :func:`.base.make_family`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import h5py
import torch

from .. import synapse_complex
from ..axon import Delay
from . import base as _base
from .base import _DEFAULT, Dense, Neurons, _require_shape, _write_type

Tensor = torch.Tensor


class ComplexDense(Dense):
    """Complex dense block: complex synapse (``W_real x + i W_imag x``) -> resonator neuron ->
    one-step delay -> optional axonal delay.  Input ``(N, in..., T)``, output ``(N, out, T)``.

    Args: as :class:`.base.Dense` (no mask).  Exported as ``dense_comp`` with
    ``weight/real`` and ``weight/imag`` (``w * 64`` float32, ``(out, in)``).
    """

    kind = "dense_comp"

    def __init__(self, neuron_params: Optional[Dict[str, Any]], in_neurons: Neurons,
                 out_neurons: int, weight_scale: float = 1, weight_norm: bool = False,
                 pre_hook_fx: Any = _DEFAULT, delay: bool = False, delay_shift: bool = True,
                 count_log: bool = False) -> None:
        torch.nn.Module.__init__(self)
        self.neuron = self._make_neuron(neuron_params)
        self.synapse = synapse_complex.Dense(in_neurons, out_neurons, weight_scale,
                                             weight_norm, self._hook(pre_hook_fx))
        self.mask = None
        self.delay = Delay(max_delay=62) if delay else None
        self.delay_shift = delay_shift
        self.count_log = count_log

    def export_hdf5(self, handle: h5py.Group) -> None:
        """Keys: type b'dense_comp', shape, inFeatures, outFeatures, weight/real,
        weight/imag, [delay], neuron/*."""
        _write_type(handle, "dense_comp")
        handle.create_dataset("shape", data=_require_shape(self, self.shape))
        handle.create_dataset("inFeatures", data=self.synapse.in_channels)
        handle.create_dataset("outFeatures", data=self.synapse.out_channels)
        self.synapse.disable_weight_norm()
        real, imag = self.synapse.file_weight(self.neuron.w_scale)
        handle.create_dataset("weight/real", data=real)
        handle.create_dataset("weight/imag", data=imag)
        self._export_tail(handle, self.neuron.device_params)


#: blocks of the resonate-and-fire families (no ``Affine``; ``ComplexDense`` added)
RESONATOR_BLOCKS = (_base.Input, _base.Flatten, _base.Average, _base.Dense, _base.Conv,
                    _base.Pool, _base.Recurrent, _base.KWTA, ComplexDense)
