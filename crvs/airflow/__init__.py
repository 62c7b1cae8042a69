"""The Airflow side of the warehouse: the one adapter every DAG uses (adapter.py), running DAGs in
this process (runs.py) and the `crvs airflow ...` command (cli.py). Airflow reads its configuration
when it is first imported, so these modules import Airflow only inside functions, after
crvs.airflow_env has been applied."""
