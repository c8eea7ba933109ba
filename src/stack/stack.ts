/**
 * `victor-perf stack`: a local Prometheus and Alertmanager for a user without Kubernetes, configured from the
 * same code as the Kubernetes manifests (targets on loopback, data under a directory the stack owns,
 * Alertmanager gossip off), scraping running victor-perf servers, or a demo the stack starts itself.
 * Everything it starts, it stops.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAlertmanagerConfig } from '../monitoring/alertmanager.ts';
import { DEFAULT_MONITORING_CONFIG, type MonitoringConfig } from '../monitoring/config.ts';
import { renderStandalonePrometheusConfig } from '../monitoring/prometheus.ts';
import { RULE_FILE_NAME, renderRuleFile } from '../monitoring/rules.ts';
import { formatAlert, startAlertsLog, type AlertsLog } from './alerts-log.ts';
import { StackError, freePort, startProcess, waitReady, type ManagedProcess } from './proc.ts';

export const INSTALL_HINT =
  'install them with `npm run setup` or `sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager`';

export interface StackOptions {
  /** host:port of victor-perf servers to scrape. */
  targets?: string[];
  /** Start demo servers (`victor-perf demo`) and scrape them too; one per entry. */
  demos?: DemoSpec[];
  /** Labels this Prometheus adds when federated (e.g. `{cluster: 'local'}`). */
  externalLabels?: Record<string, string>;
  /** Where Alertmanager sends notifications; default: a local alerts log the stack starts. */
  webhookUrl?: string;
  monitoring?: MonitoringConfig;
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Alertmanager's group_wait (default 5s: a local stack wants to see alerts soon). */
  groupWait?: string;
  /** Directory for configs and data (default: a new temp dir, removed on stop). Kept when given. */
  dataDir?: string;
  /** File with the bearer token the targets require. */
  bearerTokenFile?: string;
  /** Echo the children's output. */
  echo?: boolean;
  /** Called for each notification the local alerts log receives. */
  onAlert?: (line: string) => void;
  /** Aborting it during start-up stops what was started and rejects with a StackError. */
  signal?: AbortSignal;
}

export interface DemoSpec {
  scenario?: string;
  seed?: number;
  /** More `victor-perf demo` flags, e.g. `['--scenario-duration', '30s']`. */
  args?: string[];
  /** Target labels for this demo's series (e.g. `{cluster: 'a'}`). */
  labels?: Record<string, string>;
}

export interface Stack {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** The local alerts log, when the stack started one (no webhookUrl given). */
  alertsLog: AlertsLog | undefined;
  /** Targets scraped, demos included (host:port). */
  targets: string[];
  dataDir: string;
  stop(): Promise<void>;
}

/** The first of the names found on PATH, or undefined. */
export function findBinary(names: readonly string[]): string | undefined {
  return names.find((n) => spawnSync(n, ['--version'], { stdio: 'ignore' }).status === 0);
}

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/victor-perf.js');

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const prometheusBin = findBinary(['prometheus']);
  const alertmanagerBin = findBinary(['prometheus-alertmanager', 'alertmanager']);
  const missing = [!prometheusBin && 'prometheus', !alertmanagerBin && 'alertmanager'].filter(Boolean);
  if (missing.length > 0) throw new StackError(`${missing.join(' and ')} not found on PATH: ${INSTALL_HINT}`);

  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'victor-perf-stack-'));
  const started: ManagedProcess[] = [];
  let alertsLog: AlertsLog | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(started.reverse().map((p) => p.stop()));
    await alertsLog?.close();
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const targets = [...(options.targets ?? [])];
    const targetGroups: Array<{ targets: string[]; labels: Record<string, string> }> = [];
    // The demos get the stack's monitoring config: their health_score then has the rule's weights and window.
    let demoConfig: string[] = [];
    if (options.monitoring && (options.demos ?? []).length > 0) {
      const file = join(dataDir, 'monitoring.json');
      writeFileSync(file, JSON.stringify(options.monitoring));
      demoConfig = ['--config', file];
    }
    for (const [i, demo] of (options.demos ?? []).entries()) {
      const port = await freePort();
      const args = [CLI, 'demo', '--port', String(port), '--host', '127.0.0.1', ...demoConfig];
      if (demo.scenario) args.push('--scenario', demo.scenario);
      // The demos name their series the way the rules expect them.
      args.push('--units', (options.monitoring ?? DEFAULT_MONITORING_CONFIG).units);
      args.push('--seed', String(demo.seed ?? i + 1), ...(demo.args ?? []));
      const proc = startProcess({
        name: `demo-${i + 1}`,
        command: process.execPath,
        args,
        echo: options.echo,
      });
      started.push(proc);
      await waitReady(proc, `http://127.0.0.1:${port}/readyz`, 30_000, options.signal);
      if (demo.labels) targetGroups.push({ targets: [`127.0.0.1:${port}`], labels: demo.labels });
      else targets.push(`127.0.0.1:${port}`);
    }
    const all = [...targets, ...targetGroups.flatMap((g) => g.targets)];
    if (all.length === 0) throw new StackError('nothing to scrape: give --target host:port or --demo');

    let webhookUrl = options.webhookUrl;
    if (!webhookUrl) {
      const onAlert = options.onAlert;
      alertsLog = await startAlertsLog(onAlert ? { onAlert: (a) => onAlert(formatAlert(a)) } : {});
      webhookUrl = alertsLog.url;
    }

    const monitoring = options.monitoring ?? DEFAULT_MONITORING_CONFIG;
    const amPort = await freePort();
    const amDir = join(dataDir, 'alertmanager');
    mkdirSync(amDir, { recursive: true });
    const amConfig = join(dataDir, 'alertmanager.yml');
    writeFileSync(
      amConfig,
      renderAlertmanagerConfig(monitoring, {
        webhookUrl,
        groupWait: options.groupWait ?? '5s',
        groupInterval: '10s',
      }),
    );
    const am = startProcess({
      name: 'alertmanager',
      command: alertmanagerBin!,
      args: [
        `--config.file=${amConfig}`,
        `--storage.path=${amDir}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      echo: options.echo,
    });
    started.push(am);
    const alertmanagerUrl = `http://127.0.0.1:${amPort}`;
    await waitReady(am, `${alertmanagerUrl}/-/ready`, 30_000, options.signal);

    const promPort = await freePort();
    const rulesFile = join(dataDir, RULE_FILE_NAME);
    writeFileSync(rulesFile, renderRuleFile(monitoring));
    const promConfig = join(dataDir, 'prometheus.yml');
    const promOptions = {
      targets,
      targetGroups,
      ...(options.externalLabels ? { externalLabels: options.externalLabels } : {}),
      ruleFiles: [rulesFile],
      alertmanagerUrl,
      scrapeInterval: options.scrapeInterval ?? '5s',
      ...(options.evaluationInterval ? { evaluationInterval: options.evaluationInterval } : {}),
      ...(options.bearerTokenFile ? { bearerTokenFile: options.bearerTokenFile } : {}),
    };
    writeFileSync(promConfig, renderStandalonePrometheusConfig(monitoring, promOptions));
    const prom = startProcess({
      name: 'prometheus',
      command: prometheusBin!,
      args: [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${join(dataDir, 'prometheus')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      echo: options.echo,
    });
    started.push(prom);
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitReady(prom, `${prometheusUrl}/-/ready`, 30_000, options.signal);

    if (options.signal?.aborted) throw new StackError('stopped during start-up');
    return { prometheusUrl, alertmanagerUrl, alertsLog, targets: all, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
