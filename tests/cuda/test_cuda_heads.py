"""The attention and sequence heads run on the CPU only: the CUDA path refuses them clearly."""

import numpy as np
import pytest

from gatedts import functional as F

gcuda = pytest.importorskip("gatedts.nn.cuda.functional")


@pytest.mark.parametrize("head", ["attention", "sequence"])
def test_other_heads_are_refused(head):
    # Asked for, or (attention) read from the params' attention.* keys; and from the
    # estimators before anything is trained.
    from gatedts import GRURegressor

    params = F.init_params("gru", 2, 3, head=head, dtype=np.float64)
    X, y = np.zeros((3, 4, 2)), np.zeros(3)
    message = f"the '{head}' head runs on the CPU only"
    options = [{"head": head}] + ([{}] if head == "attention" else [])
    for option in options:
        for call in (F.forward, F.predict):
            with pytest.raises(ValueError, match=message):
                call("gru", params, X, device="cuda", **option)
        with pytest.raises(ValueError, match=message):
            F.loss_and_grad("gru", params, X, y, device="cuda", **option)
        with pytest.raises(ValueError, match=message):
            gcuda.device_network("gru", params, **option)
    # The device copy of the params still says it has attention.
    if head == "attention":
        with pytest.raises(ValueError, match=message):
            F.predict("gru", gcuda.to_device(params), X, device="cuda")
    with pytest.raises(ValueError, match="return_attention=True needs the attention head, which "
                                         "runs on the CPU only"):
        F.forward("gru", F.init_params("gru", 2, 3, dtype=np.float64), X, device="cuda",
                  return_attention=True)
    with pytest.raises(ValueError, match=message):
        GRURegressor(hidden_size=2, head=head, device="cuda").fit(X[:, :, 0], y)
