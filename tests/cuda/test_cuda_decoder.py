"""Encoder-decoder networks run on the CPU only: the device path refuses them clearly."""

import numpy as np
import pytest

from gatedts import functional as F

gcuda = pytest.importorskip("gatedts.nn.cuda.functional")


def test_decoder_is_refused():
    # Asked for, or read from the params' decoder.* keys, and from the estimators.
    from gatedts import GRURegressor

    params = F.init_params("gru", 2, 3, decoder=True, dtype=np.float64)
    plain = F.init_params("gru", 2, 3, dtype=np.float64)
    X, y = np.zeros((3, 4, 2)), np.zeros((3, 2))
    for call in (F.forward, F.predict):
        with pytest.raises(ValueError, match=r"encoder-decoder networks .* run on the CPU only"):
            call("gru", params, X, horizon=2, device="cuda")
        with pytest.raises(ValueError, match=r"encoder-decoder networks .* run on the CPU only"):
            call("gru", plain, X, decoder=True, device="cuda")
    with pytest.raises(ValueError, match=r"encoder-decoder networks .* run on the CPU only"):
        F.loss_and_grad("gru", params, X, y, device="cuda")
    with pytest.raises(ValueError, match="horizon is only used by an encoder-decoder"):
        F.predict("gru", plain, X, horizon=2, device="cuda")
    with pytest.raises(ValueError, match=r"encoder-decoder networks .* run on the CPU only"):
        gcuda.device_network("gru", params, decoder=True)
    with pytest.raises(ValueError, match=r"encoder-decoder networks .* run on the CPU only"):
        GRURegressor(hidden_size=2, decoder=True, device="cuda").fit(X[:, :, 0], y)
