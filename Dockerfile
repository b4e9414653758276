# FuelOptiMine image: the official Airflow image + the pinned requirements + the fuelopt package.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

USER root
# unixodbc: the ODBC runtime pyodbc (dbt-sqlserver) links against; msodbcsql18 comes from
# Microsoft's repository in production images that talk to SQL Server through ODBC.
RUN apt-get update \
 && apt-get install -y --no-install-recommends unixodbc \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --chown=airflow:root requirements.txt /opt/airflow/project/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" \
      -r /opt/airflow/project/requirements.txt

COPY --chown=airflow:root pyproject.toml README.md /opt/airflow/project/
COPY --chown=airflow:root include /opt/airflow/project/include
RUN pip install --no-cache-dir --no-deps -e /opt/airflow/project

COPY --chown=airflow:root dbt_project /opt/airflow/project/dbt_project
COPY --chown=airflow:root dags /opt/airflow/project/dags
COPY --chown=airflow:root plugins /opt/airflow/project/plugins
WORKDIR /opt/airflow/project
# dbt packages and the manifest the transform DAG renders from: at build time, never at run time.
RUN cd dbt_project && DBT_PROFILES_DIR=. dbt deps --quiet && DBT_PROFILES_DIR=. dbt parse --quiet

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/project/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/project/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    DBT_PROFILES_DIR=/opt/airflow/project/dbt_project \
    MLFLOW_DISABLE_TELEMETRY=true
