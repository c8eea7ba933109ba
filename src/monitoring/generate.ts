/**
 * `victor-perf generate`: writes every monitoring artifact derived from the catalog and the monitoring config,
 * or (`check`) compares them with the checked-in files so that a stale file fails the build.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UNITS_MODES, type Units } from '../metrics/catalog.ts';
import { renderAlertmanagerConfig } from './alertmanager.ts';
import {
  DEFAULT_MONITORING_CONFIG,
  loadMonitoringConfig,
  PLACEHOLDER_RUNBOOK_BASE_URL,
  type MonitoringConfig,
} from './config.ts';
import { DASHBOARD_FILE, renderDashboard } from './dashboard.ts';
import {
  renderAlertmanagerManifests,
  renderDashboardConfigMap,
  renderGrafanaManifests,
  renderNamespace,
  renderNetworkPolicy,
  renderPodAnnotationsPatch,
  renderPrometheusManifests,
} from './kubernetes.ts';
import { renderKustomization } from './kustomize.ts';
import { renderOperatorPrometheus, renderPodMonitor } from './operator.ts';
import { renderFederationPrometheusConfig, renderKubernetesPrometheusConfig } from './prometheus.ts';
import { RULE_FILE_NAME, renderPrometheusRule, renderRuleFile, renderRulesConfigMap } from './rules.ts';

/** Where the generated files live in the repo (the default `--out`). */
export const DEFAULT_OUT_DIR = 'deployment/kubernetes/monitoring';
/** The same files for a collector in base units (`units: base`). */
export const BASE_OUT_DIR = 'deployment/base/kubernetes/monitoring';

/** The default output directory of a naming mode. */
export function defaultOutDir(units: Units): string {
  return units === 'base' ? BASE_OUT_DIR : DEFAULT_OUT_DIR;
}

/**
 * The Kubernetes objects `kubectl apply -k` creates, in apply order: the namespaces first (kustomize also sorts
 * them first, but the list reads the same way).
 */
export function appliedManifests(config: MonitoringConfig): Map<string, string> {
  return new Map<string, string>([
    ['namespace.yaml', renderNamespace(config)],
    ['performance-alerts.yaml', renderRulesConfigMap(config)],
    ['prometheus.yaml', renderPrometheusManifests(config)],
    ['alertmanager.yaml', renderAlertmanagerManifests(config)],
    ['grafana.yaml', renderGrafanaManifests(config)],
    ['network-policy.yaml', renderNetworkPolicy(config)],
    ['dashboards/victor-performance-dashboard.yaml', renderDashboardConfigMap(config)],
  ]);
}

/**
 * All generated files by path relative to the output directory: the applied manifests and their
 * kustomization, the same configs as plain files under config/ (for promtool/amtool and non-Kubernetes
 * setups), the dashboard JSON, the operator variant and snippets.
 */
export function generateAll(config: MonitoringConfig = DEFAULT_MONITORING_CONFIG): Map<string, string> {
  const applied = appliedManifests(config);
  return new Map<string, string>([
    ['kustomization.yaml', renderKustomization(config, [...applied.keys()])],
    ...applied,
    [`grafana/${DASHBOARD_FILE}`, renderDashboard(config)],
    [`config/${RULE_FILE_NAME}`, renderRuleFile(config)],
    ['config/prometheus.yml', renderKubernetesPrometheusConfig(config)],
    ['config/alertmanager.yml', renderAlertmanagerConfig(config)],
    ['config/federation.yml', renderFederationPrometheusConfig(config)],
    ['operator/prometheus-rule.yaml', renderPrometheusRule(config)],
    ['operator/pod-monitor.yaml', renderPodMonitor(config)],
    ['operator/prometheus.yaml', renderOperatorPrometheus(config)],
    ['snippets/app-pod-annotations.yaml', renderPodAnnotationsPatch(config)],
  ]);
}

export interface GenerateOptions {
  /** A YAML/JSON override file for the monitoring config. */
  readonly config?: string;
  readonly out?: string;
  readonly check?: boolean;
  /**
   * Naming mode of the generated files (overrides the config's `units`). With neither `units` nor `out`, both
   * sets are written, each to its default directory (the repo's layout).
   */
  readonly units?: Units;
}

export interface GenerateResult {
  readonly exitCode: number;
  readonly messages: string[];
  /** Things that work but are probably not what the user wants (printed on stderr). */
  readonly warnings?: string[];
}

/** Warnings about a config that generates valid files that a team would still want to change. */
export function configWarnings(config: MonitoringConfig): string[] {
  if (config.runbookBaseUrl !== PLACEHOLDER_RUNBOOK_BASE_URL) return [];
  return [
    `warning: runbookBaseUrl is the default (${PLACEHOLDER_RUNBOOK_BASE_URL}): every alert's runbook_url ` +
      'points there. Set runbookBaseUrl in your monitoring config (--config) to where your copy of ' +
      'docs/runbook.md is served.',
  ];
}

/** Files under `dir` that differ from `files` or are missing (only generated paths are compared). */
export function compareGenerated(files: ReadonlyMap<string, string>, dir: string): string[] {
  const problems: string[] = [];
  for (const [path, content] of files) {
    let actual: string | undefined;
    try {
      actual = readFileSync(join(dir, path), 'utf8');
    } catch {
      actual = undefined;
    }
    if (actual === undefined) problems.push(`missing: ${join(dir, path)}`);
    else if (actual !== content) problems.push(`differs: ${join(dir, path)}`);
  }
  return problems;
}

export function runGenerate(options: GenerateOptions = {}): GenerateResult {
  let config: MonitoringConfig;
  try {
    config = options.config ? loadMonitoringConfig(options.config) : DEFAULT_MONITORING_CONFIG;
  } catch (err) {
    return { exitCode: 2, messages: [(err as Error).message] };
  }
  const sets: [Units, string][] =
    options.units !== undefined
      ? [[options.units, options.out ?? defaultOutDir(options.units)]]
      : options.out !== undefined
        ? [[config.units, options.out]]
        : UNITS_MODES.map((u) => [u, defaultOutDir(u)]);
  const warnings = configWarnings(config);
  const messages: string[] = [];
  let exitCode = 0;
  for (const [units, out] of sets) {
    const r = generateSet({ ...config, units }, out, options.check === true);
    messages.push(...r.messages);
    exitCode = Math.max(exitCode, r.exitCode);
  }
  return exitCode === 0 ? { exitCode, messages, warnings } : { exitCode, messages };
}

function generateSet(config: MonitoringConfig, out: string, check: boolean): GenerateResult {
  const files = generateAll(config);
  const what = `${files.size} files (${config.units} units) in ${out}`;
  if (check) {
    const problems = compareGenerated(files, out);
    if (problems.length === 0) return { exitCode: 0, messages: [`generate --check: ${what} are up to date`] };
    return {
      exitCode: 1,
      messages: [
        ...problems,
        `generate --check: ${problems.length} of ${what} are stale; run \`victor-perf generate\``,
      ],
    };
  }
  for (const [path, content] of files) {
    const target = join(out, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return { exitCode: 0, messages: [`generate: wrote ${what}`] };
}
