"""REST serving latency and throughput against calling the same signature in-process.

Exports the `dcgan` recipe's generator (28x28, width 32, the `dcgan_*` presets' architecture),
serves it with `keras-gen serve` in its own process (as deployed) on a loopback port, and
measures, in blocks of one case alternating over rounds so machine noise hits all alike:

- p50/p99 latency of `serving_default` at batch 1 and 64: REST (`"inputs"` format, JSON) against
  the loaded SavedModel's signature called in-process (`tf.saved_model.load(path)
  .signatures["serving_default"](z=...)`, `in_process`). Ratio target at batch 1: <= 1.5x.
  The server runs models as TF Serving does, through the session loader
  (`keras_gen.export.SessionModel`), which is itself faster than the signature call; so the same
  session call in-process (`in_process_session`) is measured too, and REST's ratio to it is
  printed as well: that ratio is the HTTP and JSON cost alone.
  Three clients, each on one kept-alive HTTP/1.1 connection:
  `rest_curl` is curl (the README's client, a native program as load generators such as wrk are):
  one curl process sends a round's requests, the JSON body read once from a file, and reports
  each transfer's `time_total`, the server's latency as any client sees it.
  `rest_http_client` is Python's `http.client`, the body encoded once, the clock stopped when
  the whole answer has arrived with status 200: adds the Python client's request building and
  header parsing.
  `rest_client` is the project's `keras_gen.serving.Client` (requests, retries, the inputs
  JSON-encoded and the answer decoded into numpy every call): what a Python user sees.
- throughput (requests/s) of the `sample` signature (batch 1) with 1, 4 and 16 concurrent clients.

Usage:
    python benchmarks/serving_latency.py [--requests 200] [--tf-threads 1]

`--tf-threads N` gives TensorFlow N intra-op and N inter-op threads in this process (the
in-process call) and in the server (`keras-gen serve --intra-op-threads N --inter-op-threads N`).
Writes benchmarks/results/serving_latency.json.
"""

import argparse
import contextlib
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import orjson  # noqa: E402
import requests  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gen import export, recipes  # noqa: E402
from keras_gen.serving import Client  # noqa: E402
from keras_gen.utils import write_json_atomic  # noqa: E402
from keras_gen.utils.arguments import file_path  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                       "serving_latency.json")


def percentiles(samples):
    values = np.array(samples) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 3),
            "p99_ms": round(float(np.percentile(values, 99)), 3)}


def timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def lean_predict(connection, body):
    """One `:predict` round trip on a kept-alive connection; returns the answer's bytes."""
    connection.request("POST", "/v1/models/dcgan:predict", body=body,
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
    return payload


def curl_latencies(url, body_file, count):
    """`count` POSTs of `body_file` to `url` by one curl on one connection; seconds each."""
    command = ["curl", "--silent", "--show-error", "--fail", "--data-binary", f"@{body_file}",
               "--header", "Content-Type: application/json", "--write-out", "%{time_total}\\n"]
    # count + 1 transfers: the first one opens the connection and is dropped.
    for _ in range(count + 1):
        command += [url, "--output", os.devnull]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return [float(value) for value in result.stdout.split()[1:]]


@contextlib.contextmanager
def serve_process(folder, tf_threads):
    """Runs `keras-gen serve folder` in its own process; yields its base URL."""
    command = [sys.executable, "-m", "keras_gen.cli", "serve", folder, "--port", "0",
               "--threads", "16", "--intra-op-threads", str(tf_threads),
               "--inter-op-threads", str(tf_threads)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        banner = server.stdout.readline()  # printed once the socket is bound (port 0: any free)
        url = re.search(r"http://[^ ]+:\d+", banner)
        if not url:
            raise RuntimeError(f"keras-gen serve did not start: {banner!r}")
        yield url.group(0)
    finally:
        server.terminate()
        server.wait(timeout=30)


def throughput(url, clients, per_client):
    def work(worker):
        session = requests.Session()
        for i in range(per_client):
            response = session.post(f"{url}/v1/models/dcgan:predict", timeout=60,
                                    json={"signature_name": "sample",
                                          "instances": [worker * per_client + i]})
            response.raise_for_status()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return clients * per_client / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="latency samples per case")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--results", type=file_path, default=RESULTS)
    parser.add_argument("--tf-threads", type=int, default=0, help="0 = TensorFlow's choice")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.tf_threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.tf_threads)

    folder = tempfile.mkdtemp(prefix="keras_gen_serving_")
    gan = recipes.build_gan("dcgan", image_shape=(28, 28, 1), latent_dim=64, width=32)
    path = export.export_saved_model(gan, os.path.join(folder, "dcgan"))
    export.write_models_config(folder)
    signature = tf.saved_model.load(path).signatures["serving_default"]
    session_model = export.SessionModel(path)
    use_curl = shutil.which("curl") is not None
    if not use_curl:
        print("curl not found: the rest_curl case is skipped")
    modes = ("in_process", "in_process_session", "rest_http_client", "rest_client")
    samples = {(mode, batch): [] for mode in modes + ("rest_curl",) * use_curl
               for batch in (1, 64)}
    with serve_process(folder, args.tf_threads) as url:
        predict_url = f"{url}/v1/models/dcgan:predict"
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        client = Client(url, "dcgan")
        calls, body_files = {}, {}
        for batch in (1, 64):
            z = np.random.default_rng(batch).normal(size=(batch, 64)).astype(np.float32)
            body = orjson.dumps({"inputs": {"z": z.tolist()}})
            body_files[batch] = os.path.join(folder, f"body_batch{batch}.json")
            with open(body_files[batch], "wb") as handle:
                handle.write(body)
            calls[batch] = {
                "in_process": lambda z=z: signature(z=tf.constant(z))["images"].numpy(),
                "in_process_session": lambda z=z: session_model.run(
                    "serving_default", {"z": z})["images"],
                "rest_http_client": lambda body=body: lean_predict(connection, body),
                "rest_client": lambda z=z: client.predict({"z": z})["output"]}
            for call in calls[batch].values():  # warm-up: tracing, first load
                call()
        per_round = max(1, args.requests // args.rounds)
        # Blocks of one case at a time (so no case runs in the wake of another's work, e.g.
        # decoding a batch of 64 images), alternating over rounds so drift hits all alike.
        for _ in range(args.rounds):
            for batch in (1, 64):
                for mode in modes:
                    samples[(mode, batch)] += [timed(calls[batch][mode]) for _ in range(per_round)]
                if use_curl:
                    samples[("rest_curl", batch)] += curl_latencies(
                        predict_url, body_files[batch], per_round)
        rates = {clients: round(throughput(url, clients, max(10, args.requests // clients)), 1)
                 for clients in (1, 4, 16)}
    report(samples, rates, args)


def report(samples, rates, args):
    """Prints percentiles, ratios to the in-process baselines and throughput; writes the JSON."""
    latency = {f"{mode}_batch{batch}": percentiles(values)
               for (mode, batch), values in samples.items()}
    ratios = {}
    for baseline in ("in_process", "in_process_session"):
        suffix = "" if baseline == "in_process" else "_vs_session"
        for mode in sorted({mode for mode, _ in samples} - {"in_process", baseline}):
            for batch in (1, 64):
                ratios[f"{mode}_batch{batch}_p50{suffix}"] = round(
                    latency[f"{mode}_batch{batch}"]["p50_ms"]
                    / latency[f"{baseline}_batch{batch}"]["p50_ms"], 3)
    print(f"\n{args.requests} requests per case over {args.rounds} alternating rounds; "
          f"{os.cpu_count()} CPU cores; TensorFlow threads: {args.tf_threads or 'auto'}")
    print(f"{'case':<26}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in latency.items():
        print(f"{name:<26}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    for name, value in ratios.items():
        baseline = "in-process session" if name.endswith("_vs_session") else "in-process"
        print(f"{name.removesuffix('_vs_session')} / {baseline}: {value:.2f}x")
    print("target: REST / in-process (the signature call) <= 1.5x at batch 1")
    for clients, rate in rates.items():
        print(f"throughput with {clients:>2} concurrent clients: {rate:.1f} requests/s")
    write_json_atomic(args.results, {"latency": latency, "ratios": ratios,
                                     "throughput_requests_per_second": rates,
                                     "requests": args.requests, "rounds": args.rounds,
                                     "tf_threads": args.tf_threads or "auto"})
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
