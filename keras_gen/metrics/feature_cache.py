"""Reference features and their neighbour radii kept on disk, keyed by the images' content and
the extractor's weights.

Every `keras-gen evaluate` and every `finetune --monitor-every` computed a reference's features
again: 1,000 images through InceptionV3 take 49-55 s on two CPU cores
(`benchmarks/reference_cache.py`), 10,000 at that rate eight minutes. Their neighbour radii
(precision, recall, density, coverage) cost 1.8 s per k for 10,000 classifier features.
Kept by a key that hashes the images' bytes and the extractor's identity (its weights' sha256),
a file is never served for other images or other weights, so nothing needs invalidating: a
changed dataset is a new key.

The files go to `keras_gen/reference_features/` in Keras' home (`~/.keras`, or `$KERAS_HOME`),
a few per reference (about 80 MB for 10,000 Inception features, 5 MB for a domain classifier's,
80 KB per k of radii), and deleting them is always safe. A folder that cannot be written only
means no caching.
"""

import hashlib
import os
import zipfile

import numpy as np

from keras_gen.utils.files import atomic_path, keras_home

# What a damaged or foreign file can raise when read: it is computed again and replaced.
_READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


def cache_folder():
    """Where the reference features are kept: `keras_gen/reference_features` in Keras' home.

    Example:

    ```python
    cache_folder()  # "/home/me/.keras/keras_gen/reference_features"
    ```
    """
    return os.path.join(keras_home(), "keras_gen", "reference_features")


def cache_key(extractor, images):
    """The key of `images` through `extractor`'s weights, or None for what is not cached.

    Args:
        extractor: a feature extractor with an `identity` (`DomainFeatures`,
            `InceptionFeatures`).
        images: the reference images, as `ReferenceStatistics` takes them. Only a NumPy array is
            cached; anything else is passed to the extractor, which converts or refuses it.

    Returns:
        str: the sha256 of the extractor's identity and the images' shape, dtype and bytes; or
        None.

    Example:

    ```python
    key = cache_key(DomainFeatures("mnist"), test_images)
    ```
    """
    if not isinstance(images, np.ndarray):
        return None
    digest = hashlib.sha256()
    digest.update(f"{extractor.identity}|{images.shape}|{images.dtype.str}|".encode())
    digest.update(np.ascontiguousarray(images).data)
    return digest.hexdigest()


def cached_features(extractor, images, key):
    """`extractor(images)`, read from the cache when these images went through these weights
    before, else computed and kept.

    Args:
        extractor: the feature extractor.
        images: the reference images.
        key: `cache_key(extractor, images)`; None computes without the cache.

    Returns:
        `(features, logits)`, as the extractor returns them (`logits` None for Inception).

    Example:

    ```python
    key = cache_key(extractor, test_images)
    features, logits = cached_features(extractor, test_images, key)  # computed, then read
    ```
    """
    if key is None:
        return extractor(images)

    def read(path):
        with np.load(path) as stored:
            features = stored["features"]
            logits = stored["logits"] if "logits" in stored.files else None
        if len(features) != len(images):  # not what this key wrote: computed again
            raise ValueError(f"{path} holds {len(features)} features, not {len(images)}")
        return features, logits

    def write(handle, features_and_logits):
        features, logits = features_and_logits
        np.savez(handle, features=features, **({} if logits is None else {"logits": logits}))

    # The extractor checks the images: only good ones are kept.
    return _read_or_keep(f"{key}.npz", read, lambda: extractor(images), write)


def cached_radii(key, k, compute, count):
    """The reference's k-th nearest-neighbour radii, read from the cache or `compute()`d and
    kept.

    They depend on the features alone, and cost more than the classifiers' features: 1.8 s for
    10,000 in 128-d, for each of the two `k` that `evaluate` uses.

    Args:
        key: the features' `cache_key`; None computes without the cache.
        k: int. Which neighbour.
        compute: callable returning the radii, `(N,)`.
        count: int. N, the number of reference images: a kept file of another shape is not
            this key's, and is computed again.

    Returns:
        float64 array `(N,)`.

    Example:

    ```python
    radii = cached_radii(key, 3, lambda: kth_neighbour_radii(features, 3), len(features))
    ```
    """
    if key is None:
        return compute()

    def read(path):
        radii = np.load(path)
        if radii.shape != (count,):  # readable, but not what this key wrote: computed again
            raise ValueError(f"{path} holds radii of shape {radii.shape}, not ({count},)")
        return radii

    return _read_or_keep(f"{key}.radii-k{k}.npy", read, compute, np.save)


def _read_or_keep(name, read, compute, write):
    """`read(path)` of the cache file `name`; if there is none or it is damaged, `compute()`,
    written atomically with `write(handle, value)`. A home that cannot be written (read-only,
    full) only means nothing is kept."""
    path = os.path.join(cache_folder(), name)
    try:
        return read(path)
    except _READ_ERRORS:  # none kept yet, or a damaged file: computed again and replaced
        pass
    value = compute()
    try:
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            write(handle, value)
    except OSError:
        pass
    return value
