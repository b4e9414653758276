"""On-call alerting: the failure callback every DAG uses, the alert log and the notifiers."""

from __future__ import annotations

import logging
from typing import Any

from fuelopt.config import get_settings

log = logging.getLogger(__name__)


RUNBOOKS_PATH = "/fuelopt/runbooks"


def _api_base_url() -> str:
    """The api-server's public URL: ``[api] base_url``, else localhost on its port."""
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="") or ""
    if not base.startswith(("http://", "https://")):
        base = f"http://localhost:{conf.get('api', 'port', fallback='8080')}{base}"
    return base.rstrip("/")


def runbook_link(dag_id: str) -> str:
    """Full URL of a DAG's runbook: ``alerts.runbook_base_url`` or the plugin's page."""
    base = get_settings().alerts.runbook_base_url or _api_base_url() + RUNBOOKS_PATH
    return f"{base.rstrip('/')}/{dag_id}"


def record_alert(
    *,
    kind: str,
    severity: str,
    dag_id: str,
    message: str,
    task_id: str | None = None,
    run_id: str | None = None,
    try_number: int | None = None,
    log_url: str | None = None,
    notified_via: list[str] | None = None,
    event_keys: list[str] | None = None,
    uri: str | None = None,
) -> int:
    """Append one row to ``ops.alert_log``; returns its id. ``event_keys`` name the monitoring
    events the alert announced, so that a repeat within the cooldown is not sent again."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, relation

    with connect(uri) as conn:
        row = conn.execute(
            sql.SQL(
                """INSERT INTO {} (kind, severity, dag_id, task_id, run_id, try_number,
                       message, log_url, runbook, notified_via, event_keys)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING alert_id"""
            ).format(relation("ops", "alert_log")),
            (
                kind,
                severity,
                dag_id,
                task_id,
                run_id,
                try_number,
                message,
                log_url,
                runbook_link(dag_id),
                notified_via or [],
                event_keys or [],
            ),
        ).fetchone()
    return int(row[0])


def _connection_exists(conn_id: str) -> bool:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        Connection.get(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def notify(subject: str, body: str, context: dict[str, Any]) -> list[str]:
    """Send through every configured notifier (SMTP when recipients are set, Slack when its
    connection exists); returns the channels used. A notifier that fails is logged, not raised."""
    settings = get_settings()
    sent: list[str] = []
    notifiers = []
    if settings.alerts.email_to:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        notifiers.append(
            (
                "smtp",
                SmtpNotifier(
                    to=settings.alerts.email_to,
                    subject=subject,
                    html_content=f"<pre>{body}</pre>",
                    smtp_conn_id=settings.connections.smtp,
                ),
            )
        )
    if _connection_exists(settings.connections.slack):
        from airflow.providers.slack.notifications.slack import SlackNotifier

        notifiers.append(
            (
                "slack",
                SlackNotifier(
                    slack_conn_id=settings.connections.slack,
                    text=f"*{subject}*\n{body}",
                    channel=settings.alerts.slack_channel,
                ),
            )
        )
    for name, notifier in notifiers:
        try:
            notifier(context)
            sent.append(name)
        except Exception:
            log.exception("alert notifier %s failed", name)
    return sent


def failure_message(context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body an on-call engineer can act on in one read."""
    ti = context["ti"]
    exc = context.get("exception")
    subject = f"[fuelopt] {ti.dag_id}.{ti.task_id} failed (try {ti.try_number})"
    body = "\n".join(
        [
            f"DAG:      {ti.dag_id}",
            f"Task:     {ti.task_id}",
            f"Run:      {ti.run_id}",
            f"Try:      {ti.try_number}",
            f"Error:    {type(exc).__name__ + ': ' + str(exc) if exc else 'unknown'}",
            f"Log:      {getattr(ti, 'log_url', None) or 'see the Airflow UI'}",
            f"Runbook:  {runbook_link(ti.dag_id)}",
        ]
    )
    return subject, body


def notify_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback`` of every task: notify on-call, then log the alert."""
    ti = context["ti"]
    subject, body = failure_message(context)
    log.error("%s\n%s", subject, body)
    sent = notify(subject, body, context)
    exc = context.get("exception")
    try:
        record_alert(
            kind="task_failure",
            severity="high",
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            run_id=ti.run_id,
            try_number=ti.try_number,
            message=f"{type(exc).__name__}: {exc}" if exc else subject,
            log_url=getattr(ti, "log_url", None),
            notified_via=sent,
        )
    except Exception:
        log.exception("could not write ops.alert_log for %s", subject)
