"""One HTTP client for the tests' requests to the servers they start as processes, their readiness
probes above all (`probe.get(url)`).

`httpx.get` makes a client for each call, and with it an SSL context that loads the system's CA bundle:
about 25 ms of CPU a call, even for a plain http:// URL. The loops that poll a starting server's
/healthz every 0.1-0.2 s spent about 6 CPU s a run on it (py-spy over both workers, BENCHMARKS.md "The
suite, thirteenth pass"). This one is made once. It keeps no connection open (a probed server is often
killed and started again on the same port) and reads no proxy settings from the environment: the
servers are on loopback."""

from __future__ import annotations

import httpx

probe = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), trust_env=False)
