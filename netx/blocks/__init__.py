"""Lava processes netx builds networks from (imports Lava).

* :mod:`netx.blocks.process`: leaf processes (``LoihiLIF``, ``LoihiLIFReset``, ``LoihiDense``,
  ``LoihiDelayDense``, ``LoihiSparse``, ``LoihiDelta``, ``LoihiSigmaDelta``, ``LoihiSigma``,
  ``LoihiRF``, ``LoihiRFIz``) and lava-dl style blocks (``Input``, ``Dense``, ``Affine``,
  ``Average``, ``RecurrentDense``, ``Conv``, ``Pool``, ``ComplexDense``).
* :mod:`netx.blocks.models`: their process models.
* :mod:`netx.blocks.network`: the whole-network process, :class:`netx.hdf5.Network`.
"""
