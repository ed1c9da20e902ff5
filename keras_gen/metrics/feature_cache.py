"""Reference features kept on disk, keyed by the images' content and the extractor's weights.

The features of a reference are most of its cost, and every `keras-gen evaluate` and every
`finetune --monitor-every` computed them again: 1,000 images through InceptionV3 take 49 s on two
CPU cores (`benchmarks/reference_cache.py`), 10,000 at that rate eight minutes. Kept by a key that
hashes the images' bytes and the extractor's identity (its weights' sha256), a file is never
served for other images or other weights, so nothing needs invalidating: a changed dataset is a
new key.

The files go to `keras_gen/reference_features/` in Keras' home (`~/.keras`, or `$KERAS_HOME`),
one per reference (about 80 MB for 10,000 Inception features, 5 MB for a domain classifier's),
and deleting them is always safe. A folder that cannot be written only means no caching.
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


def cached_features(extractor, images):
    """`extractor(images)`, read from the cache when these images went through these weights
    before, else computed and kept.

    Args:
        extractor: a feature extractor with an `identity` (`DomainFeatures`,
            `InceptionFeatures`).
        images: the reference images, as `ReferenceStatistics` takes them. Only a NumPy array is
            cached; anything else is passed to the extractor, which converts or refuses it.

    Returns:
        `(features, logits)`, as the extractor returns them (`logits` None for Inception).

    Example:

    ```python
    features, logits = cached_features(DomainFeatures("mnist"), test_images)  # computed
    features, logits = cached_features(DomainFeatures("mnist"), test_images)  # read
    ```
    """
    if not isinstance(images, np.ndarray):
        return extractor(images)
    path = os.path.join(cache_folder(), f"{_key(extractor.identity, images)}.npz")
    if os.path.isfile(path):
        try:
            with np.load(path) as stored:
                features = stored["features"]
                logits = stored["logits"] if "logits" in stored.files else None
            if len(features) == len(images):  # else not what this key wrote: computed again
                return features, logits
        except _READ_ERRORS:
            pass
    features, logits = extractor(images)  # checks the images: only good ones are kept
    try:
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            np.savez(handle, features=features,
                     **({} if logits is None else {"logits": logits}))
    except OSError:
        pass  # a read-only home or a full disk: the features are still right, only not kept
    return features, logits


def _key(identity, images):
    """The sha256 of the extractor's identity and the images' shape, dtype and bytes."""
    digest = hashlib.sha256()
    digest.update(f"{identity}|{images.shape}|{images.dtype.str}|".encode())
    digest.update(np.ascontiguousarray(images).data)
    return digest.hexdigest()
