/**
 * Validates Kubernetes objects against the OpenAPI schemas of kubernetes-models (and the Prometheus operator's
 * CRD schemas). An object of a kind not listed here fails: nothing generated goes unvalidated.
 */
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import {
  PodMonitor,
  Prometheus,
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => Model;

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/Prometheus': Prometheus,
};

/** Throws with the schema's message (and which object) if `obj` is not a valid object of its kind. */
export function validateObject(obj: Record<string, unknown>, where = ''): void {
  const id = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const Model = MODELS[id];
  if (!Model) throw new Error(`${where}: no schema for ${id}`);
  const name = (obj.metadata as { name?: string } | undefined)?.name;
  try {
    new Model(secretDataUnwrapped(obj) as never).validate();
  } catch (err) {
    throw new Error(`${where}: ${id} ${name ?? ''}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * kustomize wraps long base64 Secret values over several lines; the API server's decoder (Go's base64)
 * ignores the line breaks, the schema's `byte` format does not. Unwrap them as the server reads them.
 */
function secretDataUnwrapped(obj: Record<string, unknown>): Record<string, unknown> {
  if (obj.kind !== 'Secret' || typeof obj.data !== 'object' || obj.data === null) return obj;
  const data = Object.fromEntries(
    Object.entries(obj.data).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/[\r\n]/g, '') : v]),
  );
  return { ...obj, data };
}
