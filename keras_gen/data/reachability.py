"""Whether any host a download could use answers at all, asked once before TFDS' retries.

TFDS retries a failed connection 10 times with a growing backoff, so offline a missing dataset
failed only after ~3.4 minutes. One request per host tells an offline machine in moments.
"""

import ssl
import urllib.error
import urllib.parse
import urllib.request

# Long enough for a slow link to connect; a firewall that drops packets costs this per host.
PROBE_TIMEOUT_SECONDS = 10.0


def unreachable_hosts(urls, timeout=PROBE_TIMEOUT_SECONDS):
    """Why none of the hosts of `urls` can be reached, or None as soon as one answers.

    One `HEAD` request per host (through the proxies the environment names, as TFDS' downloads
    go). Any answer counts as reachable, an HTTP error status or a TLS failure included: those are
    the download's to report. Only a failure to resolve the name or to connect counts against a
    host. URLs other than `http` and `https` (`gs://`, `ftp://`) are not asked about.

    Args:
        urls: iterable of str. The URLs a download would fetch.
        timeout: float. Seconds to wait for each host.

    Returns:
        dict `{host: reason}` naming every host asked about when none answered; None when one
        answered, or when no URL could be asked about (nothing is known, so nothing is refused).

    Example:

    ```python
    unreachable_hosts(["https://storage.googleapis.com/tfds-data/"])
    # offline: {"storage.googleapis.com": "[Errno -2] Name or service not known"}
    ```
    """
    reasons = {}
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc in reasons:
            continue
        reason = _connection_failure(url, timeout)
        if reason is None:
            return None
        reasons[parts.netloc] = reason
    return reasons or None


def _connection_failure(url, timeout):
    """The reason one HEAD request to `url` could not connect, or None when the host answered."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except urllib.error.HTTPError:  # a status code is an answer
        return None
    except urllib.error.URLError as error:
        # TLS failures are OSErrors too, but the host answered; TFDS' own client may trust it.
        if isinstance(error.reason, OSError) and not isinstance(error.reason, ssl.SSLError):
            return str(error.reason)
        return None
    except OSError:  # connected, then timed out or was cut off while answering
        return None
