/**
 * Alertmanager config: critical -> paging, warning -> chat, info -> low priority (the description's routing), and
 * a warning inhibited while the critical alert of the same family fires on the same target. Credentials are
 * only referenced as files mounted from a Secret the user creates (`*_file` fields), never written here.
 */
import type { MonitoringConfig, ReceiverSpec } from './config.ts';
import { yamlFile } from './yaml.ts';

export const RECEIVER_NAMES = { paging: 'paging', chat: 'chat', lowPriority: 'low-priority' } as const;

/** Labels a critical and its warning must share for the inhibition: family plus the target's identity. */
export const INHIBIT_EQUAL = ['family', 'component', 'cluster', 'job', 'instance', 'namespace', 'provider'];

export interface AlertmanagerOverrides {
  /** Sends every receiver to this webhook (local stacks, tests). */
  readonly webhookUrl?: string;
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
}

function receiver(name: string, spec: ReceiverSpec): Record<string, unknown> {
  switch (spec.kind) {
    case 'pagerduty':
      return { name, pagerduty_configs: [{ routing_key_file: spec.routingKeyFile, send_resolved: true }] };
    case 'slack':
      return {
        name,
        slack_configs: [
          {
            api_url_file: spec.apiUrlFile,
            channel: spec.channel,
            send_resolved: true,
            title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
            text: '{{ range .Alerts }}{{ .Annotations.description }}\n{{ .Annotations.runbook_url }}\n{{ end }}',
          },
        ],
      };
    case 'webhook':
      return { name, webhook_configs: [{ url: spec.url, send_resolved: true }] };
  }
}

export function buildAlertmanagerConfig(
  config: MonitoringConfig,
  overrides: AlertmanagerOverrides = {},
): Record<string, unknown> {
  const am = config.alertmanager;
  const hook: ReceiverSpec | undefined = overrides.webhookUrl
    ? { kind: 'webhook', url: overrides.webhookUrl }
    : undefined;
  const receivers = {
    paging: hook ?? am.receivers.paging,
    chat: hook ?? am.receivers.chat,
    lowPriority: hook ?? am.receivers.lowPriority,
  };
  return {
    route: {
      // Unmatched alerts (no or unknown severity) still reach someone, at low priority.
      receiver: RECEIVER_NAMES.lowPriority,
      group_by: ['alertname', 'cluster', 'job'],
      group_wait: overrides.groupWait ?? am.groupWait,
      group_interval: overrides.groupInterval ?? am.groupInterval,
      repeat_interval: overrides.repeatInterval ?? am.repeatInterval,
      routes: [
        { matchers: ['severity="critical"'], receiver: RECEIVER_NAMES.paging },
        { matchers: ['severity="warning"'], receiver: RECEIVER_NAMES.chat },
        { matchers: ['severity="info"'], receiver: RECEIVER_NAMES.lowPriority },
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: INHIBIT_EQUAL,
      },
    ],
    receivers: [
      receiver(RECEIVER_NAMES.paging, receivers.paging),
      receiver(RECEIVER_NAMES.chat, receivers.chat),
      receiver(RECEIVER_NAMES.lowPriority, receivers.lowPriority),
    ],
  };
}

export function renderAlertmanagerConfig(
  config: MonitoringConfig,
  overrides: AlertmanagerOverrides = {},
): string {
  return yamlFile(
    [buildAlertmanagerConfig(config, overrides)],
    `Alertmanager config. Receiver credentials are read from files mounted from the Secret
"${config.kubernetes.alertmanagerSecret}" (create it yourself; see docs/runbook.md).`,
  );
}
