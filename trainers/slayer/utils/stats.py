"""Learning statistics: running loss/accuracy per phase, logs, printing, saving and plots.

Units: ``loss`` is the mean loss per sample (``loss_sum / num_samples``) and ``accuracy`` the
fraction of correct samples in ``[0, 1]`` (printed as is, not in percent).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

PHASES = ("training", "testing", "validation")


class LearningStat:
    """Running statistics of one phase (training, testing or validation) of one epoch.

    Attributes:
        loss_sum: sum over samples of the per-sample loss (``loss * batch_size`` per batch).
        correct_samples: number of correctly classified samples so far.
        num_samples: number of samples seen so far.
        min_loss / max_accuracy: best values over the logged epochs (``None`` before any).
        loss_log / accuracy_log: one entry per :meth:`update` (``None`` where undefined).
        best_loss / best_accuracy: whether the last :meth:`update` set a new best.
    """

    def __init__(self) -> None:
        self.loss_sum = 0.0
        self.correct_samples = 0
        self.num_samples = 0
        self.min_loss: Optional[float] = None
        self.max_accuracy: Optional[float] = None
        self.loss_log: List[Optional[float]] = []
        self.accuracy_log: List[Optional[float]] = []
        self.best_loss = False
        self.best_accuracy = False

    def reset(self) -> None:
        """Start a new epoch: clear the running sums (logs and bests are kept)."""
        self.loss_sum = 0.0
        self.correct_samples = 0
        self.num_samples = 0

    @property
    def loss(self) -> Optional[float]:
        """Mean loss per sample, or ``None`` before any sample."""
        return self.loss_sum / self.num_samples if self.num_samples > 0 else None

    @property
    def accuracy(self) -> Optional[float]:
        """Fraction of correct samples in ``[0, 1]``, or ``None`` before any sample."""
        return self.correct_samples / self.num_samples if self.num_samples > 0 else None

    @property
    def valid_loss_log(self) -> List[float]:
        """``loss_log`` without the ``None`` entries."""
        return [x for x in self.loss_log if x is not None]

    @property
    def valid_accuracy_log(self) -> List[float]:
        """``accuracy_log`` without the ``None`` entries."""
        return [x for x in self.accuracy_log if x is not None]

    def update(self) -> None:
        """Log this epoch's loss and accuracy and refresh the best values and flags.

        The first defined value counts as a new best; a phase with no samples logs ``None``
        and clears the flags.
        """
        loss, accuracy = self.loss, self.accuracy
        self.loss_log.append(loss)
        self.accuracy_log.append(accuracy)
        self.best_loss = loss is not None and (self.min_loss is None or loss < self.min_loss)
        if self.best_loss:
            self.min_loss = loss
        self.best_accuracy = accuracy is not None and (
            self.max_accuracy is None or accuracy > self.max_accuracy)
        if self.best_accuracy:
            self.max_accuracy = accuracy

    def __str__(self) -> str:
        parts = []
        if self.loss is not None:
            best = f" (min = {self.min_loss:11.5f})" if self.min_loss is not None else ""
            parts.append(f"loss = {self.loss:11.5f}{best}")
        if self.accuracy is not None:
            best = f" (max = {self.max_accuracy:7.5f})" if self.max_accuracy is not None else ""
            parts.append(f"accuracy = {self.accuracy:7.5f}{best}")
        return "    ".join(parts)


class LearningStats:
    """Training, testing and validation statistics of a learning run.

    Usage per epoch: add to ``stats.training.loss_sum / correct_samples / num_samples`` (the
    :class:`~trainers.slayer.utils.Assistant` does it), call :meth:`print` as you go and
    :meth:`update` at the end of the epoch; then :meth:`save` / :meth:`plot`.
    """

    def __init__(self) -> None:
        self.training = LearningStat()
        self.testing = LearningStat()
        self.validation = LearningStat()
        self.lines_printed = 0

    def _phases(self):
        return ((name, getattr(self, name)) for name in PHASES)

    def update(self) -> None:
        """Close the epoch: log every phase, refresh bests, then reset the running sums."""
        for _, stat in self._phases():
            stat.update()
            stat.reset()

    def new_line(self) -> None:
        """Keep the lines printed so far (the next :meth:`print` starts below them)."""
        self.lines_printed = 0

    def __str__(self) -> str:
        lines = [f"{name.capitalize():<10} {stat}" for name, stat in self._phases() if str(stat)]
        return "\n".join(lines)

    def print(self, epoch: int, iter: Optional[int] = None, time_elapsed: Optional[float] = None,
              header: Optional[Sequence[str]] = None, dataloader=None, file=None) -> str:
        """Print (and return) a status block, overwriting the previous one on a terminal.

        Args:
            epoch: epoch number.
            iter: iteration (batch) number within the epoch, if any.
            time_elapsed: seconds since the epoch started; printed as ms per sample of the
                current phase when samples have been seen.
            header: extra lines printed above the statistics.
            dataloader: the loader being iterated (anything with ``len``); with ``iter`` the
                progress is shown as ``i = iter/len(dataloader) (percent)``.
            file: stream to write to (default ``sys.stdout``).
        """
        stream = sys.stdout if file is None else file
        first = f"Epoch {epoch:4d}"
        if iter is not None and dataloader is not None:
            total = len(dataloader)
            first += f" : i = {iter:5d}/{total:5d} ({100 * iter / max(total, 1):3.0f}%)"
        elif iter is not None:
            first += f" : i = {iter:5d}"
        if time_elapsed is not None:
            seen = max(self.training.num_samples, self.testing.num_samples,
                       self.validation.num_samples)
            if seen > 0:
                first += f" : {time_elapsed * 1000 / seen:8.4f} ms/sample"
            else:
                first += f" : {time_elapsed:8.2f} s"
        lines = list(header or []) + [first] + [line for line in str(self).split("\n") if line]
        text = "\n".join(lines)
        if self.lines_printed and getattr(stream, "isatty", lambda: False)():
            stream.write(f"\033[{self.lines_printed}A\033[J")  # move up and clear
        stream.write(text + "\n")
        stream.flush()
        self.lines_printed = len(lines)
        return text

    def save(self, path: PathLike = "") -> None:
        """Write ``<path>loss.txt`` and ``<path>accuracy.txt``.

        ``path`` is a prefix (as in lava-dl: ``'trained/'`` writes ``trained/loss.txt``; an
        existing directory also works).  Each file has a ``#``-comment header naming the
        columns -- one per phase that has any logged value, in the order training, testing,
        validation -- and one row per logged epoch; undefined entries are written as ``nan``.
        """
        prefix = _prefix(path)
        for what in ("loss", "accuracy"):
            names, columns = [], []
            for name, stat in self._phases():
                log = getattr(stat, f"{what}_log")
                if any(x is not None for x in log):
                    names.append(name)
                    columns.append([np.nan if x is None else x for x in log])
            data = np.array(columns, dtype=float).T if columns else np.zeros((0, 0))
            np.savetxt(prefix + f"{what}.txt", data, fmt="%.8g", header=" ".join(names))

    def load(self, path: PathLike = "") -> None:
        """Read the logs back from files written by :meth:`save` (bests are recomputed)."""
        prefix = _prefix(path)
        for what in ("loss", "accuracy"):
            filename = prefix + f"{what}.txt"
            with open(filename) as f:
                header = f.readline().lstrip("#").split()
            data = np.loadtxt(filename, ndmin=2)
            for i, name in enumerate(header):
                if name not in PHASES:
                    raise ValueError(f"{filename}: unknown column {name!r} in header; "
                                     f"expected names from {PHASES}")
                stat = getattr(self, name)
                log = [None if np.isnan(x) else float(x) for x in data[:, i]]
                setattr(stat, f"{what}_log", log)
                valid = [x for x in log if x is not None]
                if what == "loss":
                    stat.min_loss = min(valid) if valid else None
                else:
                    stat.max_accuracy = max(valid) if valid else None

    def plot(self, figures: Sequence[int] = (1, 2), figsize=None,
             path: Optional[PathLike] = None) -> list:
        """Plot learning curves: loss per epoch (log scale) and accuracy per epoch.

        One line per phase with logged values.  Figures are drawn on matplotlib's Agg canvas
        as plain ``Figure`` objects (no display and no pyplot state, so this works on headless
        machines and leaves the session's backend alone); ``figures`` is accepted for lava-dl
        compatibility (it numbered pyplot windows) and only its length matters: ``(1,)``
        plots the loss alone.  With ``path`` (a prefix, as in :meth:`save`) the figures are
        saved as ``<path>loss.png`` and ``<path>accuracy.png``.  Returns the figures.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        made = []
        for _fig_id, what in zip(figures, ("loss", "accuracy")):
            fig = Figure(figsize=figsize)
            FigureCanvasAgg(fig)
            ax = fig.add_subplot(1, 1, 1)
            for name, stat in self._phases():
                log = getattr(stat, f"{what}_log")
                if any(x is not None for x in log):
                    ax.plot([np.nan if x is None else x for x in log], label=name.capitalize())
            ax.set_xlabel("Epoch")
            ax.set_ylabel(what.capitalize())
            if what == "loss":
                ax.set_yscale("log")
            ax.legend()
            if path is not None:
                fig.savefig(_prefix(path) + f"{what}.png")
            made.append(fig)
        return made


def _prefix(path: PathLike) -> str:
    p = os.fspath(path)
    if p and Path(p).is_dir() and not p.endswith(os.sep):
        p += os.sep
    return p
