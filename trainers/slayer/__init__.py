"""SLAYER: direct training of spiking networks (lava-dl's ``lava.lib.dl.slayer`` API).

``from trainers import slayer`` then use ``slayer.neuron.cuba.Neuron``,
``slayer.block.cuba.Dense``, ``slayer.synapse.Conv``, ``slayer.axon.delay_shift``,
``slayer.loss.SpikeRate``, ``slayer.utils.LearningStats``... exactly as with lava-dl.
Tensors are NCT / NCHWT (time last).  Nothing here imports Lava.
"""

from . import axon, block, dendrite, neuron, spike, synapse, utils
from . import classifier, io, loss  # written beside the core (support modules)

__all__ = ["axon", "block", "classifier", "dendrite", "io", "loss", "neuron", "spike",
           "synapse", "utils"]
