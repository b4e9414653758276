-- Airflow metadata server: a second database for the MLflow tracking server.
CREATE DATABASE mlflow;
