"""Test session setup: quiet TensorFlow, two logical CPU devices for tf.distribute tests."""

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
