// The Alerts row: pending and firing alerts as a table, from Prometheus' /api/v1/alerts (Prometheus mode)
// or the server's in-process alerts in the same shape (local mode).

/** Table rows of alerts, firing first. */
export function alertsTable(alerts) {
  const order = { firing: 0, pending: 1 };
  const rows = alerts
    .slice()
    .sort(
      (a, b) =>
        (order[a.state] ?? 2) - (order[b.state] ?? 2) || a.labels.alertname.localeCompare(b.labels.alertname),
    )
    .map((a) => ({
      alert: a.labels.alertname,
      state: { text: a.state, color: a.state === 'firing' ? 'red' : 'yellow' },
      severity: {
        text: a.labels.severity ?? '',
        color: a.labels.severity === 'critical' ? 'red' : 'orange',
      },
      component: a.labels.component ?? '',
      summary: a.annotations?.summary ?? '',
      since: a.activeAt ? new Date(a.activeAt).toLocaleTimeString() : '',
    }));
  return {
    columns: [
      { key: 'alert', title: 'Alert' },
      { key: 'state', title: 'State' },
      { key: 'severity', title: 'Severity' },
      { key: 'component', title: 'Component' },
      { key: 'summary', title: 'Summary' },
      { key: 'since', title: 'Active since' },
    ],
    rows,
    empty: 'No active alerts',
  };
}
