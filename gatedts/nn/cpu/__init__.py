"""The CPU kernels: ``@njit`` forward passes and exact BPTT, one file per cell.

``gru.py``, ``lstm.py`` and ``rnn.py`` hold each cell's recurrence,
``common.py`` the vectorisable activations and small matrix products they
share, ``layers.py`` the classes that allocate a layer's buffers and call its
kernels. The twin folder ``nn/cuda/`` has files of the same names. May import
numpy, numba, llvmlite and ``gatedts.nn.scratch``; nothing above ``nn``.
"""
