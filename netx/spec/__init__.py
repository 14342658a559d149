"""The ``.net`` exchange format: plain data (:mod:`.model`), hdf5 serialisation
(:mod:`.hdf5io`) and consistency checks (:mod:`.validate`).  See ``docs/spec.md``.

>>> from netx import spec
>>> net = spec.read("tiny.net")          # doctest: +SKIP
>>> spec.write(net, "copy.net")          # doctest: +SKIP
"""

from ..errors import NetxFormatError
from .hdf5io import read, write
from .model import (FORMAT_VERSION, LAYER_TYPES, NEURON_TYPES, AdrfNeuron, AlifNeuron,
                    AverageLayer, ComplexDenseLayer, ConcatLayer, ConvLayer, ConvTransposeLayer,
                    CubaNeuron, DenseLayer, FlattenLayer, InputLayer, Layer, Network, Neuron,
                    PoolLayer, RecurrentDenseLayer, RfNeuron, SdnnNeuron, Simulation, UnpoolLayer,
                    conv_output_size, deep_equal, input_shapes, lava_shape)
from .validate import MAX_ELEMENTS, validate

__all__ = [
    "NetxFormatError", "read", "write", "validate", "MAX_ELEMENTS", "FORMAT_VERSION",
    "Network", "Simulation", "Layer", "InputLayer", "DenseLayer", "RecurrentDenseLayer",
    "ComplexDenseLayer", "ConvLayer", "ConvTransposeLayer", "PoolLayer", "UnpoolLayer",
    "FlattenLayer", "AverageLayer", "ConcatLayer", "Neuron", "CubaNeuron", "AlifNeuron",
    "RfNeuron", "AdrfNeuron", "SdnnNeuron", "LAYER_TYPES", "NEURON_TYPES", "input_shapes",
    "lava_shape", "conv_output_size", "deep_equal",
]
