"""The numerical core: recurrent networks as parameter dicts, Numba kernels and exact BPTT.

``functional`` (``init_params``, ``forward``, ``predict``, ``loss_and_grad``) is
the API; ``spec`` what a network is (:class:`~gatedts.nn.spec.NetworkSpec`: the
architecture and its rules); ``params`` the parameter layout; ``cells`` the one registry of cells;
``heads`` the heads on top of the layers (last state, attention, every step);
``core`` the input handling that the CPU and CUDA paths share; ``optim`` the
optimizers; ``scratch`` and ``threads`` the buffer and thread-pool policies.
The kernels live in ``cpu/`` (``@njit``) and ``cuda/`` (``@cuda.jit``), whose
files have the same names. Rules (``tests/test_layout.py``): this package
imports only numpy, numba, llvmlite, scipy, threadpoolctl and itself, never
scikit-learn, pandas or any other gatedts layer; only ``cuda/`` imports
``numba.cuda``, and nothing here imports ``cuda/`` except on demand for
``device="cuda"``.
"""
