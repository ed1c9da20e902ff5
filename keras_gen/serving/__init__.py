"""Serving: a TF Serving REST client and a TF-Serving-compatible local server.

Example:

```python
from keras_gen.serving import Client, LocalServer

with LocalServer("saved_models", port=0) as server:
    images = Client(server.url, "dcgan_digits").sample([0, 1, 2])
```
"""

from keras_gen.serving.client import Client, ServingError
from keras_gen.serving.repository import ModelRepository
from keras_gen.serving.server import LocalServer, ServingApp

__all__ = ["Client", "LocalServer", "ModelRepository", "ServingApp", "ServingError"]
