"""Example scripts: ``python -m examples.demo``, ``examples.slayer_mnist``, ``examples.bootstrap_mnist``."""
