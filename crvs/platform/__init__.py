"""The API channel: the national data-sharing platform (feed contract, "The API channel").

The reference platform server (a development tool: `crvs platform serve`, the demo and the tests)
is crvs/devtools/platform_server.py.

- client.py  discovers an agency's new deliveries, pages through each dataset with retries, spools
             them to a delivery folder and hands that to the file loader; `crvs fetch` and the
             per-agency ingest DAGs use it.
"""
