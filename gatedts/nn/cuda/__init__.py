"""The CUDA twins of ``nn/cpu/``: ``@cuda.jit`` kernels with the same file names.

``gru.py``, ``lstm.py``, ``rnn.py`` and ``common.py`` mirror their CPU files;
``layers.py`` mirrors ``nn/cpu/layers.py``; ``functional.py`` runs
``forward``/``predict``/``loss_and_grad`` and a whole training step on the
device, and ``optim.py`` the optimizer updates, losses and reductions there.
The only folder of gatedts that imports ``numba.cuda``; this ``__init__``
imports nothing, so ``import gatedts`` never loads CUDA. May import
``gatedts.nn`` (``core``, ``params``, ``optim``, ``cells``); nothing above it.
"""
