"""Bootstrap training routine: the per-block :class:`Mode` and the epoch/iteration :class:`Scheduler`.

Bootstrap (lava-dl's ``bootstrap``) trains a rate-coded SNN mostly as an ANN.  Each batch runs
the network in one of four modes:

* ``SNN``    -- every block runs its spiking neuron over all ``T`` time steps (``NCT`` tensors);
* ``ANN``    -- every block replaces the neuron by its fitted piecewise-linear rate transfer
  function, on a time axis of length 1 (much cheaper);
* ``SAMPLE`` -- ``SNN`` and, in addition, each block records (input current, output rate)
  pairs for its sampler;
* ``FIT``    -- each block fits its transfer function to the recorded samples, then runs ``ANN``.

The :class:`Scheduler` decides the mode from ``(epoch, iteration, training)``; the result is a
:class:`BlockModes` object, iterated alongside the network's blocks
(``for block, m in zip(blocks, mode)``).  In *hybrid* training the first ``crossover`` blocks
always run as SNN; ``crossover_epochs`` moves the crossover one block deeper at each listed epoch.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Iterable, Iterator, Optional, Sequence

from ..slayer.utils import LearningStat

__all__ = ["Mode", "BlockModes", "Scheduler"]


class Mode(IntEnum):
    """Execution mode of a bootstrap block (values as in lava-dl)."""

    SNN = 0
    ANN = 1
    SAMPLE = 2
    FIT = 3


class BlockModes:
    """The per-block modes of one batch: blocks ``0 .. crossover-1`` run :attr:`Mode.SNN`, the
    rest :attr:`base_mode`.  ``SAMPLE`` applies to every block (the crossover is ignored).

    Iterating yields one :class:`Mode` per block, endlessly unless ``num_blocks`` is given, so
    ``zip(self.blocks, mode)`` pairs every block with its mode.  ``mode[i]`` is block ``i``'s mode.

    Attributes:
        base_mode: the scheduler's mode for this batch.
        crossover: number of leading blocks that run as SNN (hybrid training).
        num_blocks: length of the iteration, or ``None`` for an endless iterator.
    """

    def __init__(self, base_mode: Mode, crossover: int = 0, num_blocks: Optional[int] = None) -> None:
        self.base_mode = Mode(base_mode)
        self.crossover = int(crossover)
        self.num_blocks = num_blocks

    def __getitem__(self, index: int) -> Mode:
        if index < 0:
            raise IndexError("block modes are indexed from block 0 upwards")
        if self.num_blocks is not None and index >= self.num_blocks:
            raise IndexError(f"block {index} out of range ({self.num_blocks} blocks)")
        if self.base_mode == Mode.SAMPLE or index >= self.crossover:
            return self.base_mode
        return Mode.SNN

    def __iter__(self) -> Iterator[Mode]:
        index = 0
        while self.num_blocks is None or index < self.num_blocks:
            yield self[index]
            index += 1

    def __len__(self) -> int:
        if self.num_blocks is None:
            raise TypeError("an endless BlockModes has no length; pass num_blocks")
        return self.num_blocks

    def modes(self, num_blocks: int) -> list:
        """The list of the first ``num_blocks`` block modes."""
        return [self[i] for i in range(num_blocks)]

    @property
    def uses_time(self) -> bool:
        """Whether some block runs spiking dynamics, so the input needs all ``T`` time steps
        (``False`` only when every block runs ``ANN``/``FIT`` on a time axis of length 1)."""
        return self.base_mode in (Mode.SNN, Mode.SAMPLE) or self.crossover > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BlockModes):
            return (self.base_mode, self.crossover) == (other.base_mode, other.crossover)
        return NotImplemented

    def __str__(self) -> str:
        text = f"Mode: {self.base_mode.name}"
        if self.crossover > 0 and self.base_mode != Mode.SAMPLE:
            text += f" (blocks 0-{self.crossover - 1}: SNN)"
        return text

    def __repr__(self) -> str:
        return f"BlockModes(base_mode={self.base_mode.name}, crossover={self.crossover})"


class Scheduler:
    """Chooses the mode of every batch (lava-dl's ``bootstrap.routine.Scheduler``).

    Training, on epochs with ``epoch % sample_period == 0``: iterations
    ``0 .. num_sample_iter-1`` are ``SAMPLE``, iteration ``num_sample_iter`` is ``FIT`` and the
    rest ``ANN``; on other epochs ``ANN`` throughout.  Evaluation (``training=False``): ``SNN``
    on epochs with ``epoch % sample_period == 0``, otherwise ``ANN``.

    Args:
        num_sample_iter: number of SAMPLE iterations at the start of a sampling epoch.
        sample_period: a sampling (and SNN-evaluation) epoch every ``sample_period`` epochs.
        crossover_epochs: epochs at which the crossover moves one block deeper (hybrid
            training); the crossover at ``epoch`` is the number of listed epochs ``<= epoch``.

    The SNN-mode test statistics are kept apart from the ANN epochs in :attr:`snn_stat`
    (a :class:`trainers.slayer.utils.LearningStat`): call :meth:`sync_snn_stat` with
    ``stats.testing`` after an SNN evaluation epoch (this sets ``snn_stat.best_accuracy``), then
    :meth:`update_snn_stat` to log it.
    """

    def __init__(self, num_sample_iter: int = 10, sample_period: int = 10,
                 crossover_epochs: Optional[Iterable[int]] = None) -> None:
        if num_sample_iter < 1:
            raise ValueError(f"num_sample_iter must be >= 1, got {num_sample_iter}")
        if sample_period < 1:
            raise ValueError(f"sample_period must be >= 1, got {sample_period}")
        self.num_sample_iter = int(num_sample_iter)
        self.sample_period = int(sample_period)
        self.crossover_epochs: Sequence[int] = sorted(int(e) for e in (crossover_epochs or []))
        self.snn_stat = LearningStat()

    def crossover(self, epoch: int) -> int:
        """Number of leading blocks that run as SNN at ``epoch``."""
        return sum(1 for e in self.crossover_epochs if e <= epoch)

    def base_mode(self, epoch: int, iteration: int, training: bool = True) -> Mode:
        """The network-wide mode of batch ``iteration`` of ``epoch`` (see the class docstring)."""
        sampling_epoch = epoch % self.sample_period == 0
        if not training:
            return Mode.SNN if sampling_epoch else Mode.ANN
        if not sampling_epoch or iteration > self.num_sample_iter:
            return Mode.ANN
        return Mode.SAMPLE if iteration < self.num_sample_iter else Mode.FIT

    def mode(self, epoch: int, iteration: int, training: bool = True) -> BlockModes:
        """Per-block modes of batch ``iteration`` of ``epoch`` (iterate alongside the blocks)."""
        return BlockModes(self.base_mode(epoch, iteration, training), self.crossover(epoch))

    # ------------------------------------------------------------------ SNN statistics
    def sync_snn_stat(self, stat: LearningStat) -> None:
        """Copy the running sums of an SNN-mode test epoch (``stats.testing``) into
        :attr:`snn_stat` and set ``snn_stat.best_accuracy`` / ``best_loss`` (new best or not)."""
        self.snn_stat.loss_sum = stat.loss_sum
        self.snn_stat.correct_samples = stat.correct_samples
        self.snn_stat.num_samples = stat.num_samples
        loss, accuracy = self.snn_stat.loss, self.snn_stat.accuracy
        best = self.snn_stat
        best.best_loss = loss is not None and (best.min_loss is None or loss < best.min_loss)
        best.best_accuracy = accuracy is not None and (
            best.max_accuracy is None or accuracy > best.max_accuracy)

    def update_snn_stat(self) -> None:
        """Log the synced SNN statistics (``snn_stat.accuracy_log`` etc.) and clear the sums."""
        self.snn_stat.update()
        self.snn_stat.reset()
