"""Training assistant: one call per batch for training, testing and validation."""

from __future__ import annotations

from typing import Callable, Optional, Tuple, Union

import torch

from .stats import LearningStat, LearningStats

Tensor = torch.Tensor


class Assistant:
    """Run a batch through ``net``, compute the loss, update ``stats`` and (when training) step.

    Args:
        net: the network; ``net(input)`` returns ``output`` -- or ``(output, count)`` when
            ``count_log`` is true, ``(output, net_loss)`` when ``lam`` is set, and
            ``(output, net_loss, count)`` with both.
        error: loss ``error(output, target) -> scalar`` (e.g. a :mod:`trainers.slayer.loss` object).
        optimizer: a ``torch.optim`` optimizer over ``net``'s parameters.
        stats: :class:`LearningStats` to accumulate into, or ``None``.
        classifier: ``classifier(output) -> predicted labels`` (e.g. ``classifier.Rate.predict``);
            when given, ``correct_samples`` counts ``prediction == target``.
        count_log: whether ``net`` also returns a spike-count log (returned unchanged).
        lam: weight of the network's own loss term (e.g. a spike-rate regulariser):
            the optimised loss is ``error(output, target) + lam * net_loss``.

    Stats bookkeeping per batch of ``B`` samples: ``num_samples += B``,
    ``loss_sum += error * B`` (the task loss only, without ``lam * net_loss``), and
    ``correct_samples += #(classifier(output) == target)``.
    """

    def __init__(self, net: torch.nn.Module, error: Callable[[Tensor, Tensor], Tensor],
                 optimizer: torch.optim.Optimizer, stats: Optional[LearningStats] = None,
                 classifier: Optional[Callable[[Tensor], Tensor]] = None, count_log: bool = False,
                 lam: Optional[float] = None) -> None:
        self.net = net
        self.error = error
        self.optimizer = optimizer
        self.stats = stats
        self.classifier = classifier
        self.count_log = count_log
        self.lam = lam

    @property
    def device(self) -> torch.device:
        """Device of the network's first parameter (CPU for a parameterless net)."""
        explicit = getattr(self.net, "device", None)
        if isinstance(explicit, torch.device):
            return explicit
        for p in self.net.parameters():
            return p.device
        return torch.device("cpu")

    def reduce_lr(self, factor: float = 10 / 3) -> None:
        """Divide the learning rate of every parameter group by ``factor``."""
        for group in self.optimizer.param_groups:
            group["lr"] /= factor

    def _forward(self, input: Tensor) -> Tuple[Tensor, Optional[Tensor], Optional[Tensor]]:
        result = self.net(input)
        expected = 1 + (self.lam is not None) + bool(self.count_log)
        if expected == 1:
            return result, None, None
        if not isinstance(result, (tuple, list)) or len(result) != expected:
            got = f"a tuple of {len(result)}" if isinstance(result, (tuple, list)) else "one tensor"
            raise ValueError(f"Assistant(count_log={self.count_log}, lam={self.lam}) expects net(input) "
                             f"to return {expected} values; it returned {got}")
        output = result[0]
        net_loss = result[1] if self.lam is not None else None
        count = result[-1] if self.count_log else None
        return output, net_loss, count

    def _account(self, stat: Optional[LearningStat], output: Tensor, target: Tensor,
                 loss: Tensor) -> None:
        if stat is None:
            return
        batch = output.shape[0]
        stat.num_samples += batch
        stat.loss_sum += loss.detach().cpu().item() * batch
        if self.classifier is not None:
            prediction = self.classifier(output.detach())
            stat.correct_samples += int(torch.sum(prediction.cpu() == target.detach().cpu()).item())

    def _phase(self, name: str) -> Optional[LearningStat]:
        return None if self.stats is None else getattr(self.stats, name)

    def _returned(self, output: Tensor, count: Optional[Tensor]) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        return output if count is None else (output, count)

    def train(self, input: Tensor, target: Tensor) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """One optimisation step on a batch; returns ``output`` (and ``count`` if logged)."""
        self.net.train()
        device = self.device
        input, target = input.to(device), target.to(device)
        output, net_loss, count = self._forward(input)
        loss = self.error(output, target)
        self._account(self._phase("training"), output, target, loss)
        if self.lam is not None:
            loss = loss + self.lam * net_loss
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return self._returned(output, count)

    def _evaluate(self, phase: str, input: Tensor, target: Tensor):
        self.net.eval()
        device = self.device
        with torch.no_grad():
            input, target = input.to(device), target.to(device)
            output, _, count = self._forward(input)
            loss = self.error(output, target)
            self._account(self._phase(phase), output, target, loss)
        return self._returned(output, count)

    def test(self, input: Tensor, target: Tensor) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Evaluate a batch without gradients into ``stats.testing``."""
        return self._evaluate("testing", input, target)

    def valid(self, input: Tensor, target: Tensor) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Evaluate a batch without gradients into ``stats.validation``."""
        return self._evaluate("validation", input, target)
