// The Alerts row: pending and firing alerts as a table, from Prometheus' /api/v1/alerts (Prometheus mode)
// or the server's in-process alerts in the same shape (local mode).

/**
 * @typedef {import('./page.d.ts').ApiAlert} ApiAlert
 * @typedef {import('./page.d.ts').TableFrame} TableFrame
 */

/**
 * Table rows of alerts, firing first.
 * @param {readonly ApiAlert[]} alerts
 * @returns {TableFrame}
 */
export function alertsTable(alerts) {
  /** @type {Record<string, number | undefined>} */
  const order = { firing: 0, pending: 1 };
  const rows = alerts
    .slice()
    .sort((a, b) => (order[a.state] ?? 2) - (order[b.state] ?? 2) || alertName(a).localeCompare(alertName(b)))
    .map((a) => ({
      alert: alertName(a),
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

/** @param {ApiAlert} a */
const alertName = (a) => a.labels.alertname ?? '';

/**
 * Alerts in the firing state, and the highest severity among them ('' when none fire).
 * @param {readonly ApiAlert[]} alerts
 */
export function firingSummary(alerts) {
  const firing = alerts.filter((a) => a.state === 'firing');
  const severity = firing.some((a) => a.labels.severity === 'critical')
    ? 'critical'
    : firing.length > 0
      ? 'warning'
      : '';
  return { count: firing.length, severity };
}
