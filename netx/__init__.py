"""netx: the .net (hdf5) network-exchange format, its Lava builder and a batched engine.

Importing ``netx`` never imports Lava: ``netx.hdf5`` (the Lava builder) does, on demand.
"""
