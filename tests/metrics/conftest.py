"""The MNIST test split as a scoring reference, shared by the metrics tests."""

import pytest

from keras_gen import metrics
from tests.helpers import real_mnist


@pytest.fixture(scope="module")
def reference():
    images, labels = real_mnist("test", 2000)
    return metrics.ReferenceStatistics(images, domain="mnist", labels=labels)
