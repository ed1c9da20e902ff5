"""Test session setup: quiet TensorFlow, an empty Keras home, two logical CPU devices for
tf.distribute tests, and earlier tests' objects kept out of the garbage collector's scans."""

import gc
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402

# Logical devices can only be configured before TensorFlow initialises its
# runtime, so do it once here for the whole session: MirroredStrategy tests
# need two devices, and everything else runs on /cpu:0 as usual.
_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One MirroredStrategy over the two logical CPUs for the whole session.

    Each MirroredStrategy numbers its collective ops from the same start, so
    two strategies over the same devices in one process can collide on an
    instance key with different tensor shapes ("Shape mismatch in the
    collective instance"). Sharing one strategy avoids that.
    """
    devices = [device.name for device in tf.config.list_logical_devices("CPU")][:2]
    assert len(devices) == 2
    return tf.distribute.MirroredStrategy(devices)


@pytest.fixture(scope="session", autouse=True)
def session_keras_home(tmp_path_factory):
    """An empty Keras home for the session, set before any module-scoped fixture runs: what
    they cache (reference features) goes there, not into the user's ~/.keras."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("session_keras_home")))
        yield


@pytest.fixture(autouse=True)
def empty_keras_home(tmp_path_factory, monkeypatch):
    """Each test has an empty Keras home: it reads nothing that keras.datasets or an earlier
    test left (reference features cached by a test whose extractor was patched), and writes
    nothing into the user's."""
    home = tmp_path_factory.mktemp("keras_home")
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def earlier_tests_objects_out_of_the_collectors_reach():
    """After each test, its garbage is collected and what survives is frozen (`gc.freeze`):
    later collections no longer scan it.

    Why: TensorFlow keeps every traced training step alive. The optimizer's all-reduce uses
    `tf.custom_gradient`, which in a graph registers its gradient function for good, and that
    function holds the graph (tensorflow/tensorflow#97697). So a worker's heap grows with every
    model a test trains (by 14,000 objects a test over tests/models), and each full collection
    (the data checks make one per refused fit) scanned it all: tests/models/test_checked_fit.py
    alone spent 15% of its time in them. What is frozen was alive anyway.
    """
    yield
    gc.collect()
    gc.freeze()
