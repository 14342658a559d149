"""Process models of :mod:`netx.blocks.process` (and of :class:`netx.blocks.network.Network`).

Lava finds a model by the *exact* process type, searching the process's module and the
sibling modules of its folder (each is executed on every look-up: keep imports absolute and
cheap here).  Leaf models:

* ``fixed_pt``: Lava's own bit-accurate models (``PyLifModelBitAcc``,
  ``PyLifResetModelBitAcc``, ``PyDenseModelBitAcc``) re-bound to our process types with no
  change to their code: Lava stays the referee.
* ``floating_pt`` (defined first, so a run config without ``select_tag`` picks them, as it
  does for Lava's own processes): Lava's float models with the Loihi integer parameters
  rescaled to the same grid (see ``LoihiLIF``).

Blocks and the network are hierarchical: their ``AbstractSubProcessModel`` connects the
parent ports to the sub-processes the process created.
"""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.atrlif.models import PyATRLIFModelFixed
from lava.proc.dense.models import (AbstractPyDenseModelFloat, PyDelayDenseModelBitAcc,
                                    PyDelayDenseModelFloat, PyDenseModelBitAcc)
from lava.proc.lif.models import (PyLifModelBitAcc, PyLifModelFloat, PyLifResetModelBitAcc,
                                  PyLifResetModelFloat)
from lava.proc.rf.models import PyRFModelFixed
from lava.proc.rf_iz.models import PyRF_IZModelFixed
from lava.proc.sdn.models import PyDeltaModelFixed, PySigmaDeltaModelFixed, PySigmaModelFixed
from lava.proc.sparse.models import AbstractPySparseModelFloat, PySparseModelBitAcc
from lava.utils.weightutils import clip_weights, determine_sign_mode, truncate_weights
from scipy.sparse import csr_matrix

from netx.blocks.network import Network
from netx.blocks.process import (Affine, Average, ComplexDense, Conv, Dense, Input, LoihiALIF,
                                 LoihiDelayDense, LoihiDelta, LoihiDense, LoihiLIF,
                                 LoihiLIFReset, LoihiRF, LoihiRFIz, LoihiSigma, LoihiSigmaDelta,
                                 LoihiSparse, Pool, RecurrentDense)

DECAY_UNITY = 4096  # decays are out of 2^12
STATE_SHIFT = 6  # synaptic input and threshold are MSB-aligned by 6 bits


# --------------------------------------------------------------------------- neurons
class _LoihiGridFloat:
    """Mixin for Lava's float LIF models: run their equations with the fixed-point
    parameters rescaled (``du' = (du + 1)/4096``, ``dv' = dv/4096``, ``bias' = bias_mant *
    2**bias_exp``, input x 64, threshold x 64).  The Vars keep their Loihi values."""

    def subthr_dynamics(self, activation_in: np.ndarray) -> None:
        du, dv, bias_mant = self.du, self.dv, self.bias_mant
        try:
            self.du = (np.asarray(du, dtype=float) + 1) / DECAY_UNITY
            self.dv = np.asarray(dv, dtype=float) / DECAY_UNITY
            self.bias_mant = bias_mant * np.power(2.0, self.bias_exp)
            super().subthr_dynamics(np.asarray(activation_in, dtype=float)
                                    * (1 << STATE_SHIFT))
        finally:
            self.du, self.dv, self.bias_mant = du, dv, bias_mant

    def spiking_activation(self) -> np.ndarray:
        return self.v > np.asarray(self.vth, dtype=float) * (1 << STATE_SHIFT)


@implements(proc=LoihiLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLoihiLifModelFloat(_LoihiGridFloat, PyLifModelFloat):
    """``floating_pt`` model of :class:`LoihiLIF` (Lava's float LIF, rescaled)."""

    implements_process = None  # re-bound by @implements (Lava refuses to override otherwise)


@implements(proc=LoihiLIF, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiLifModelBitAcc(PyLifModelBitAcc):
    """``fixed_pt`` / ``bit_accurate_loihi`` model of :class:`LoihiLIF`: Lava's, unchanged."""

    implements_process = None


@implements(proc=LoihiLIFReset, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLoihiLifResetModelFloat(_LoihiGridFloat, PyLifResetModelFloat):
    """``floating_pt`` model of :class:`LoihiLIFReset` (Lava's float LIFReset, rescaled)."""

    implements_process = None


@implements(proc=LoihiLIFReset, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiLifResetModelBitAcc(PyLifResetModelBitAcc):
    """``fixed_pt`` model of :class:`LoihiLIFReset`: Lava's, unchanged."""

    implements_process = None


# --------------------------------------------------------------------------- synapses
@implements(proc=LoihiDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLoihiDenseModelFloat(AbstractPyDenseModelFloat):
    """``floating_pt`` model of :class:`LoihiDense`: Lava's float Dense run with the weights
    the fixed-point model uses (8-bit clip, truncation to ``num_weight_bits``) times
    ``2**weight_exp``."""

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._scaled = False

    def run_spk(self) -> None:
        if not self._scaled:
            w = np.rint(self.weights).astype(np.int64)
            sign_mode = self.proc_params.get("sign_mode") or determine_sign_mode(w)
            w = clip_weights(w, sign_mode, num_bits=8)
            w = truncate_weights(w, sign_mode, self.proc_params.get("num_weight_bits", 8))
            self.weights = w.astype(float) * 2.0 ** self.proc_params.get("weight_exp", 0)
            self._scaled = True
        super().run_spk()


@implements(proc=LoihiDense, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiDenseModelBitAcc(PyDenseModelBitAcc):
    """``fixed_pt`` model of :class:`LoihiDense`: Lava's bit-accurate Dense, unchanged."""

    implements_process = None


def _fixed_grid_weights(model, weights: np.ndarray) -> np.ndarray:
    """The weights a bit-accurate synapse uses (8-bit clip, truncation to
    ``num_weight_bits``) times ``2**weight_exp``, as floats."""
    w = np.rint(np.asarray(weights)).astype(np.int64)
    sign_mode = model.proc_params.get("sign_mode") or determine_sign_mode(w)
    w = clip_weights(w, sign_mode, num_bits=8)
    w = truncate_weights(w, sign_mode, model.proc_params.get("num_weight_bits", 8))
    return w.astype(float) * 2.0 ** model.proc_params.get("weight_exp", 0)


@implements(proc=LoihiDelayDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLoihiDelayDenseModelFloat(PyDelayDenseModelFloat):
    """``floating_pt`` model of :class:`LoihiDelayDense`: Lava's float DelayDense with the
    fixed-point weights (see :class:`PyLoihiDenseModelFloat`)."""

    implements_process = None

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._scaled = False

    def run_spk(self) -> None:
        if not self._scaled:
            self.weights = _fixed_grid_weights(self, self.weights)
            self._scaled = True
        super().run_spk()


@implements(proc=LoihiDelayDense, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiDelayDenseModelBitAcc(PyDelayDenseModelBitAcc):
    """``fixed_pt`` model of :class:`LoihiDelayDense`: Lava's bit-accurate DelayDense."""

    implements_process = None


@implements(proc=LoihiSparse, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLoihiSparseModelFloat(AbstractPySparseModelFloat):
    """``floating_pt`` model of :class:`LoihiSparse`: Lava's float Sparse with the
    fixed-point weights."""

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._scaled = False

    def run_spk(self) -> None:
        if not self._scaled:
            self.weights = csr_matrix(_fixed_grid_weights(self, self.weights.toarray()))
            self._scaled = True
        super().run_spk()


@implements(proc=LoihiSparse, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiSparseModelBitAcc(PySparseModelBitAcc):
    """``fixed_pt`` model of :class:`LoihiSparse`: Lava's bit-accurate Sparse."""

    implements_process = None


# --------------------------------------------------------------------------- ALIF, sigma-delta, RF
# Only Lava's fixed-point models are bound: Lava's float models of these processes ignore
# spike_exp / state_exp / the x64 grid while the processes are given fixed-point parameters,
# so every run config runs the fixed-point model.
@implements(proc=LoihiALIF, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiALIFModelFixed(PyATRLIFModelFixed):
    """Model of :class:`LoihiALIF`: Lava's fixed-point ATRLIF, unchanged."""

    implements_process = None


@implements(proc=LoihiDelta, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiDeltaModelFixed(PyDeltaModelFixed):
    """Model of :class:`LoihiDelta`: Lava's fixed-point Delta, unchanged."""

    implements_process = None


@implements(proc=LoihiSigmaDelta, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiSigmaDeltaModelFixed(PySigmaDeltaModelFixed):
    """Model of :class:`LoihiSigmaDelta`: Lava's fixed-point SigmaDelta, unchanged."""

    implements_process = None


@implements(proc=LoihiSigma, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiSigmaModelFixed(PySigmaModelFixed):
    """Model of :class:`LoihiSigma`: Lava's fixed-point Sigma, unchanged."""

    implements_process = None


@implements(proc=LoihiRF, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiRFModelFixed(PyRFModelFixed):
    """Model of :class:`LoihiRF`: Lava's fixed-point RF, unchanged."""

    implements_process = None


@implements(proc=LoihiRFIz, protocol=LoihiProtocol)
@requires(CPU)
class PyLoihiRFIzModelFixed(PyRF_IZModelFixed):
    """Model of :class:`LoihiRFIz`: Lava's fixed-point RF_IZ, unchanged."""

    implements_process = None


# --------------------------------------------------------------------------- blocks
class _BlockModel(AbstractSubProcessModel):
    """Exposes a block's sub-processes to Lava (the block connected them and its ports when
    it was constructed)."""

    def __init__(self, proc) -> None:
        self.neuron = proc.neuron
        if proc.synapse is not None:
            self.synapse = proc.synapse
        for extra in ("rec_synapse", "imag_synapse"):
            sub = getattr(proc, extra, None)
            if sub is not None:
                setattr(self, extra, sub)


@implements(proc=Input, protocol=LoihiProtocol)
class InputModel(_BlockModel):
    """Input block: ``inp`` -> neuron ``a_in``; neuron -> ``out``."""


@implements(proc=Dense, protocol=LoihiProtocol)
class DenseModel(_BlockModel):
    """Dense block: ``inp`` -> LoihiDense -> neuron -> ``out``."""


@implements(proc=Affine, protocol=LoihiProtocol)
class AffineModel(_BlockModel):
    """Affine readout block: ``inp`` -> LoihiDense -> integrator neuron."""


@implements(proc=Average, protocol=LoihiProtocol)
class AverageModel(_BlockModel):
    """Average block: ``inp`` -> grouping LoihiDense -> pass-through neuron."""


@implements(proc=RecurrentDense, protocol=LoihiProtocol)
class RecurrentDenseModel(_BlockModel):
    """Recurrent dense block: ``inp`` -> LoihiDense -> neuron -> ``out`` and back."""


@implements(proc=Conv, protocol=LoihiProtocol)
class ConvModel(_BlockModel):
    """Conv block: ``inp`` -> Lava Conv -> neuron -> ``out``."""


@implements(proc=Pool, protocol=LoihiProtocol)
class PoolModel(_BlockModel):
    """Pool block: ``inp`` -> depthwise Lava Conv -> neuron -> ``out``."""


@implements(proc=ComplexDense, protocol=LoihiProtocol)
class ComplexDenseModel(_BlockModel):
    """Complex dense block: ``inp`` -> real and imaginary LoihiDense -> RF neuron."""


# --------------------------------------------------------------------------- network
@implements(proc=Network, protocol=LoihiProtocol)
class NetworkModel(AbstractSubProcessModel):
    """A netx network: exposes its blocks to Lava (the process chained them and connected
    its ``inp``/``out`` to the first/last block when it was constructed)."""

    def __init__(self, proc) -> None:
        for i, layer in enumerate(proc.layers):
            setattr(self, f"layer_{i:03d}", layer)
