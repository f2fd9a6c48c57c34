import os

# Lets scikit-learn's check_array_api_input run instead of skipping; must be set
# before scipy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest
from helpers import VARIANT_IDS, VARIANTS


@pytest.fixture(params=VARIANTS, ids=VARIANT_IDS)
def variant(request):
    return request.param
