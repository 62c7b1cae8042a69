# The warehouse's Airflow image: Airflow's official image with the project's pinned requirements and
# the crvs package (editable, so the package finds its dags/, dbt_project/ and expectations/ beside it).
FROM apache/airflow:3.3.2

# gcc, libc headers and libssl-dev build the loader's C fast path (crvs/feeds/_fastload.c); without
# them the loader takes its general way, slower.
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
    && apt-get clean && rm -rf /var/lib/apt/lists/*

USER airflow
COPY --chown=airflow:0 requirements.txt /opt/crvs/requirements.txt
RUN pip install --no-cache-dir -r /opt/crvs/requirements.txt
COPY --chown=airflow:0 . /opt/crvs
RUN pip install --no-cache-dir --no-deps -e /opt/crvs && pip check
WORKDIR /opt/crvs
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/crvs/dags
