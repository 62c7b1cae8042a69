"""The API channel: the national data-sharing platform (feed contract, "The API channel").

- server.py  a reference platform server (standard library) serving a folder of delivery folders,
             with a bearer token, paging and configurable faults; `crvs platform serve`, the demo
             and the tests use it.
- client.py  discovers an agency's new deliveries, pages through each dataset with retries, spools
             them to a delivery folder and hands that to the file loader; `crvs fetch` and the
             per-agency ingest DAGs use it.
"""
