"""`keras_gen.serving.Client` against the contract models: answers, retries, argument checks.

Runs against KERAS_GEN_SERVING_URL when set, as test_contract.py does.
"""

import gc
import time

import numpy as np
import pytest
import requests

from keras_gen.serving import Client, ServingError


def test_client_surfaces_server_errors_and_retries(target):
    url, models, _ = target
    client = Client(url, "contract_cgan")
    np.testing.assert_allclose(client.sample([5], labels=[3])[0],
                               (models["contract_cgan"].generate(1, labels=3, seed=5)[0] + 1) / 2,
                               atol=1e-4)
    with pytest.raises(ServingError, match="HTTP 400.*missing \\['labels'\\]"):
        client.sample([5])
    assert client.status()["model_version_status"][0]["version"] == "1"
    dead = Client("http://127.0.0.1:9", "contract_gan", retries=2, backoff=0.01, timeout=1)
    start = time.monotonic()
    said = (r"^No answer from http://127\.0\.0\.1:9/v1/models/contract_gan after 3 attempt\(s\): "
            r".*Connection refused.*Start one with `keras-gen serve saved_models`")
    with pytest.raises(requests.ConnectionError, match=said):  # requests' type, as before
        dead.status()
    assert time.monotonic() - start >= 0.03  # two backoffs: 0.01 + 0.02


def test_client_checks_its_arguments_before_sending(target, monkeypatch):
    # sample(5) and a scalar in the row format failed inside numpy ("len() of unsized object"),
    # labels=7 for two seeds likewise, and seed 1.5 came back as the image of seed 1.
    url, models, _ = target
    client = Client(url, "contract_cgan")
    sevens = client.sample([5, 6], labels=7)  # one label for every seed, as generate() takes
    expected = models["contract_cgan"].generate(2, labels=7, seed=5)[0]
    np.testing.assert_allclose(sevens[0], (expected + 1) / 2, atol=1e-4)
    np.testing.assert_allclose(sevens[1], client.sample([6], labels=[7])[0], atol=1e-6)
    monkeypatch.setattr(client, "_call", lambda *args, **kwargs: pytest.fail("sent"))
    for seeds, labels, match in [
            (5, None, r"^seeds must be whole numbers, one per image: \[5\] for one image of "
                      r"seed 5, range\(5\) for five\. Received: seeds=5$"),
            ([1.5], None, r"Received: seeds=\[1\.5\]"),
            ([1, 2], [0.5, 1], r"^labels must be whole numbers, class ids or class names, one "
                               r"per seed or one for all of them\. Received: labels=\[0\.5, 1\]")]:
        with pytest.raises(ValueError, match=match):
            client.sample(seeds, labels=labels)
    with pytest.raises(ValueError, match=r"^format='instances' sends one row per example, so "
                                         r"every input needs the same batch size; received batch "
                                         r"sizes \{'seed': None, 'labels': 2\}"):
        client.predict({"seed": 3, "labels": [1, 2]}, signature="sample", format="instances")
    with pytest.raises(ValueError, match=r"^format='instances' sends one row per example, so "
                                         r"an unnamed input needs a batch dimension; received 3\. "
                                         r"Send \[3\] for one example, or format='inputs'\.$"):
        client.predict(3, signature="sample", format="instances")
    with pytest.raises(ValueError, match=r"^inputs must be a dict of input name -> values, or "
                                         r"the values of a signature's one input; received a "
                                         r"set\.$"):
        client.predict({3}, signature="sample")


@pytest.mark.parametrize("arguments, message", [
    # Each failed at the first request: in requests ("No connection adapters were found",
    # "timeout cannot be set to a value less than or equal to 0") or in the retry loop
    # ("cannot access local variable 'response'").
    (("127.0.0.1:8501", "m"), r"^base_url must be the server's http\(s\) URL, e\.g\. "
                              r"'http://127\.0\.0\.1:8501'\. Received: "
                              r"base_url='127\.0\.0\.1:8501'$"),
    (("http://h:1", "a/b"), r"^A model name is its folder and its URL path .* Received: 'a/b'$"),
    (("http://h:1", "m", 0), r"^timeout must be a number of seconds > 0\. Received: timeout=0$"),
    (("http://h:1", "m", 1, -1), r"^retries must be an int >= 0\. Received: retries=-1$"),
    (("http://h:1", "m", 1, 1.5), r"Received: retries=1\.5$"),
    (("http://h:1", "m", 1, 0, -0.5), r"^backoff must be a number of seconds >= 0\."),
])
def test_a_client_that_could_not_send_is_refused_when_made(arguments, message):
    with pytest.raises(ValueError, match=message):
        Client(*arguments)


def test_a_client_refuses_requests_that_name_no_version_or_image(monkeypatch):
    client = Client("http://127.0.0.1:9", "contract_gan", retries=0)
    monkeypatch.setattr(client, "_call", lambda *args, **kwargs: pytest.fail("sent"))
    # int("latest") failed with "invalid literal for int()"; 1.5 was asked for as version 1.
    for version in ("latest", 1.5, 0):
        with pytest.raises(ValueError, match=rf"^version must be a positive int\. Received: "
                                             rf"version={version!r}$"):
            client.status(version=version)
    with pytest.raises(ValueError, match=r"^seeds is empty: pass one seed per image"):
        client.sample([])


def test_client_pauses_garbage_collection_only_while_decoding(target, monkeypatch):
    url, models, _ = target
    client = Client(url, "contract_gan")
    seen = []
    import keras_gen.serving.client as client_module

    real = client_module._decode
    monkeypatch.setattr(client_module, "_decode",
                        lambda name, value: seen.append(gc.isenabled()) or real(name, value))
    client.sample([1, 2])
    assert seen and not any(seen)  # paused while the answer became numpy
    assert gc.isenabled()  # and collecting again afterwards
    gc.disable()
    try:
        client.sample([1])
        assert not gc.isenabled()  # a caller's own choice is left alone
    finally:
        gc.enable()
