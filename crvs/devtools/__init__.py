"""Development tools: the sample generator, the reference sharing platform, the benches, the demo and the Airflow smoke.
They may import the runtime; nothing in the runtime imports them (tests/unit/test_import_direction.py)."""
