"""netx: the .net (hdf5) network-exchange format, its Lava builder and a batched engine.

Importing ``netx`` never imports Lava: ``netx.hdf5`` (the Lava builder) does, on demand.
"""


def __getattr__(name: str):
    """Lazy ``netx.run`` (imports torch only when used; Lava only for backend='lava')."""
    if name == "run":
        from .runner import run
        return run
    raise AttributeError(f"module 'netx' has no attribute {name!r}")
