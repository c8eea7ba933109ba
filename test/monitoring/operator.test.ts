/**
 * The Prometheus operator flavour fires: the Prometheus resource selects the PrometheusRule and the PodMonitor
 * by their labels (from the config), the PodMonitor finds the example app's pods and port, sends the token
 * from a Secret in its own namespace, and sets the job label every rule and panel selects.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveMonitoringConfig, type MonitoringConfig } from '../../src/monitoring/config.ts';
import { dashboardPanels } from '../../src/monitoring/dashboard-panels.ts';
import { generateAll } from '../../src/monitoring/generate.ts';
import { secretFiles } from '../../src/monitoring/kustomize.ts';
import { buildRuleFile } from '../../src/monitoring/rules.ts';
import { run } from './helpers.ts';
import { validateObject } from './k8s-schema.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CONFIGS: Record<string, MonitoringConfig> = {
  default: resolveMonitoringConfig({}),
  'kube-prometheus-stack labels, another job name': resolveMonitoringConfig({
    selector: 'job="agents"',
    scrape: { jobName: 'agents' },
    kubernetes: { operator: { ruleLabels: { release: 'kps' }, monitorLabels: { release: 'kps' } } },
  }),
};

function operatorObjects(config: MonitoringConfig): { rule: Obj; monitor: Obj; prometheus: Obj } {
  const files = generateAll(config);
  const one = (path: string): Obj => parseAllDocuments(files.get(path)!)[0]!.toJS() as Obj;
  return {
    rule: one('operator/prometheus-rule.yaml'),
    monitor: one('operator/pod-monitor.yaml'),
    prometheus: one('operator/prometheus.yaml'),
  };
}

/** Does a label selector (matchLabels only, as generated) select these labels? */
const selects = (selector: Obj, labels: Record<string, string>): boolean =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (selector.matchExpressions ?? []).length === 0;

/** Every `job` matcher in a PromQL text. */
const jobMatchers = (expr: string): string[] =>
  [...expr.matchAll(/\bjob\s*(=~|!=|!~|=)\s*"([^"]*)"/g)].map((m) => `${m[1]}${m[2]}`);

describe('Prometheus operator flavour', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`validates against the operator's CRD schemas (${name})`, () => {
      for (const obj of Object.values(operatorObjects(config))) validateObject(obj, 'operator/');
    });

    it(`the Prometheus resource selects the rules and the PodMonitor (${name})`, () => {
      const { rule, monitor, prometheus } = operatorObjects(config);
      expect(rule.metadata.labels).toEqual(config.kubernetes.operator.ruleLabels);
      expect(selects(prometheus.spec.ruleSelector, rule.metadata.labels)).toBe(true);
      expect(selects(prometheus.spec.podMonitorSelector, monitor.metadata.labels)).toBe(true);
      const nsLabels = { 'kubernetes.io/metadata.name': config.kubernetes.monitoringNamespace };
      for (const objNs of [rule.metadata.namespace, monitor.metadata.namespace]) {
        expect(objNs).toBe(config.kubernetes.monitoringNamespace);
      }
      expect(selects(prometheus.spec.ruleNamespaceSelector, nsLabels)).toBe(true);
      expect(selects(prometheus.spec.podMonitorNamespaceSelector, nsLabels)).toBe(true);
      // A selector that would also match nothing-in-particular is not what we ship.
      expect(Object.keys(prometheus.spec.ruleSelector.matchLabels).length).toBeGreaterThan(0);
    });

    it(`the job label the PodMonitor sets is the one every rule and panel selects (${name})`, () => {
      const { monitor } = operatorObjects(config);
      const relabel: Obj[] = monitor.spec.podMetricsEndpoints[0].relabelings;
      const job = relabel.filter((r) => r.targetLabel === 'job');
      expect(job).toEqual([{ action: 'replace', targetLabel: 'job', replacement: config.scrape.jobName }]);
      const exprs = [
        ...buildRuleFile(config).groups.flatMap((g) => g.rules.map((r) => r.expr)),
        ...dashboardPanels(config).flatMap((p) => p.queries.map((q) => q.expr)),
      ];
      expect(exprs.length).toBeGreaterThan(30);
      const matchers = new Set(exprs.flatMap(jobMatchers));
      expect([...matchers]).toEqual([`=${config.scrape.jobName}`]);
      // Every rule selects the job (a rule without it would read any job's series).
      for (const g of buildRuleFile(config).groups) {
        for (const r of g.rules) expect(jobMatchers(r.expr).length, r.expr).toBeGreaterThan(0);
      }
    });
  }

  it("keeps the metrics' own namespace label: the pod's namespace moves to kubernetes_namespace", () => {
    const { monitor } = operatorObjects(CONFIGS.default!);
    const relabel: Obj[] = monitor.spec.podMetricsEndpoints[0].relabelings;
    const copy = relabel.findIndex((r) => r.targetLabel === 'kubernetes_namespace');
    const drop = relabel.findIndex((r) => r.action === 'labeldrop' && r.regex === 'namespace');
    expect(relabel[copy]?.sourceLabels).toEqual(['namespace']);
    expect(copy).toBeGreaterThanOrEqual(0);
    expect(drop).toBeGreaterThan(copy); // copied before it is dropped
  });

  it("finds the example app's pods and port, with the token from a Secret in its own namespace", async () => {
    const config = CONFIGS.default!;
    const { monitor } = operatorObjects(config);
    const r = await run('kubectl', ['kustomize', 'examples/kubernetes']);
    expect(r.code, r.stderr).toBe(0);
    const app = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as Obj)
      .find((o) => o.kind === 'Deployment')!;
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([app.metadata.namespace]);
    expect(selects(monitor.spec.selector, app.spec.template.metadata.labels)).toBe(true);
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    const ports: Obj[] = app.spec.template.spec.containers[0].ports;
    expect(ports.map((p) => p.name)).toContain(endpoint.port);
    expect(endpoint.path).toBe(config.scrape.path);
    const cred = endpoint.authorization.credentials;
    expect(secretFiles(config)).toContainEqual(
      expect.objectContaining({ secret: cred.name, key: cred.key, namespace: monitor.metadata.namespace }),
    );
  });

  it('the runbook documents the selectors the generated objects carry', async () => {
    const runbook = await readFile('docs/runbook.md', 'utf8');
    const section = runbook.slice(runbook.indexOf('\n### Prometheus operator'));
    expect(section.length).toBeGreaterThan(100);
    for (const [k, v] of Object.entries(CONFIGS.default!.kubernetes.operator.ruleLabels)) {
      expect(section).toContain(`${k}: ${v}`);
    }
  });
});
